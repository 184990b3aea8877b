import {
  cancelledFailure,
  connectionFailure,
  proxyRefused,
  timeoutFailure,
  tooLargeFailure,
} from '../../src/graph/httpFailures';
import type { ConnectionErrorInput, FailureReport } from '../../src/graph/httpFailures';

const PROXY = 'http://proxy.corp:3128';

describe('connectionFailure: a transport error, by how far the exchange got', () => {
  it.each<[string, ConnectionErrorInput, FailureReport]>([
    [
      'refused, direct',
      { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED', phase: 'connecting', proxy: null },
      {
        failure: 'connection',
        sent: false,
        reason: 'Microsoft Graph could not be reached (connection refused)',
      },
    ],
    [
      'DNS, direct',
      { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND', phase: 'connecting', proxy: null },
      {
        failure: 'connection',
        sent: false,
        reason: 'Microsoft Graph could not be reached (host name not found)',
      },
    ],
    [
      'refused by the proxy port',
      { code: 'ECONNREFUSED', message: 'x', phase: 'connecting', proxy: PROXY },
      {
        failure: 'connection',
        sent: false,
        reason: `the egress proxy ${PROXY} could not be reached or could not reach Graph (connection refused)`,
      },
    ],
    [
      'CONNECT answered 407',
      {
        code: 'UND_ERR_ABORTED',
        message: 'Proxy response (407) !== 200 when HTTP Tunneling',
        phase: 'connecting',
        proxy: PROXY,
      },
      {
        failure: 'connection',
        sent: false,
        reason: 'the egress proxy refused the connection (407 Proxy Authentication Required)',
        permanent: true,
      },
    ],
    [
      'CONNECT answered 502',
      {
        code: 'UND_ERR_ABORTED',
        message: 'Proxy response (502) !== 200 when HTTP Tunneling',
        phase: 'connecting',
        proxy: PROXY,
      },
      {
        failure: 'connection',
        sent: false,
        reason: 'the egress proxy refused the connection (502 Bad Gateway)',
      },
    ],
    [
      'absolute-form answered 407',
      {
        code: 'UND_ERR_INVALID_ARG',
        message: 'Proxy Authentication Required (407)',
        phase: 'sent',
        proxy: PROXY,
      },
      {
        failure: 'connection',
        sent: false,
        reason: 'the egress proxy refused the connection (407 Proxy Authentication Required)',
        permanent: true,
      },
    ],
    [
      'a proxy-like message without a proxy is not read as one',
      { code: 'UND_ERR_SOCKET', message: 'Proxy response (407)', phase: 'sent', proxy: null },
      {
        failure: 'connection',
        sent: true,
        reason: 'the connection closed before Microsoft Graph answered (UND_ERR_SOCKET)',
      },
    ],
    [
      'TLS failure before sending',
      { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'x', phase: 'connecting', proxy: null },
      {
        failure: 'connection',
        sent: false,
        reason:
          'Microsoft Graph could not be reached (could not connect: DEPTH_ZERO_SELF_SIGNED_CERT)',
      },
    ],
    [
      'closed after sending',
      { code: 'ECONNRESET', message: 'read ECONNRESET', phase: 'sent', proxy: null },
      {
        failure: 'connection',
        sent: true,
        reason: 'the connection closed before Microsoft Graph answered (ECONNRESET)',
      },
    ],
    [
      'closed in the middle of the answer',
      { code: 'UND_ERR_SOCKET', message: 'other side closed', phase: 'answering', proxy: PROXY },
      {
        failure: 'broken-body',
        sent: true,
        reason: 'the connection broke in the middle of the answer',
      },
    ],
    [
      'a request undici refuses to send',
      { code: 'UND_ERR_INVALID_ARG', message: 'invalid header', phase: 'connecting', proxy: null },
      {
        failure: 'connection',
        sent: false,
        reason: 'the request was not sent: it is not a valid HTTP request',
      },
    ],
    [
      'a closed transport',
      { code: 'UND_ERR_DESTROYED', message: 'destroyed', phase: 'connecting', proxy: PROXY },
      {
        failure: 'connection',
        sent: false,
        reason: 'the request was not sent: the transport is closed',
      },
    ],
    [
      'an odd code is not repeated',
      { code: 'e v i l\nline', message: 'x', phase: 'sent', proxy: null },
      {
        failure: 'connection',
        sent: true,
        reason: 'the connection closed before Microsoft Graph answered (unknown error)',
      },
    ],
  ])('%s', (_name, input, expected) => {
    expect(connectionFailure(input)).toEqual(expected);
  });
});

describe('the other failures', () => {
  it.each<[string, FailureReport, FailureReport]>([
    [
      'timeout after sending',
      timeoutFailure(250, true),
      { failure: 'timeout', sent: true, reason: 'no complete answer within 250 ms' },
    ],
    [
      'cancelled before sending',
      cancelledFailure(false),
      {
        failure: 'cancelled',
        sent: false,
        reason: 'the request was cancelled before it was sent',
      },
    ],
    [
      'cancelled after sending',
      cancelledFailure(true),
      { failure: 'cancelled', sent: true, reason: 'the request was cancelled' },
    ],
    [
      'too large',
      tooLargeFailure(1024),
      { failure: 'too-large', sent: true, reason: 'the answer is larger than 1024 bytes' },
    ],
    [
      'an unknown proxy status',
      proxyRefused(418),
      {
        failure: 'connection',
        sent: false,
        reason: 'the egress proxy refused the connection (418)',
      },
    ],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });
});
