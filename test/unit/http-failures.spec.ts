import {
  cancelledFailure,
  connectionFailure,
  corruptGzipFailure,
  proxyRefused,
  timeoutFailure,
  tooLargeFailure,
  unsupportedEncodingFailure,
} from '../../src/graph/http/failures';
import type { ConnectionErrorInput, FailureReport } from '../../src/graph/http/failures';

const PROXY = 'http://proxy.corp:3128';
const TLS_PROXY = 'https://proxy.corp:3129';

/** A certificate that did not verify: not sent, and permanent (the trust store does not change), as a 407 is. */
const untrusted = (whose: string, code: string): FailureReport => ({
  failure: 'connection',
  sent: false,
  reason: `the TLS certificate of ${whose} is not trusted (${code})`,
  permanent: true,
});

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
      "Graph's certificate not trusted, direct",
      { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'x', phase: 'connecting', proxy: null },
      untrusted('Microsoft Graph', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
    ],
    [
      "Graph's certificate not trusted, direct: no known issuer",
      { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'x', phase: 'connecting', proxy: null },
      untrusted('Microsoft Graph', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
    ],
    [
      "Graph's certificate not trusted, direct: another host name",
      { code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: 'x', phase: 'connecting', proxy: null },
      untrusted('Microsoft Graph', 'ERR_TLS_CERT_ALTNAME_INVALID'),
    ],
    ...(
      [
        'DEPTH_ZERO_SELF_SIGNED_CERT',
        'SELF_SIGNED_CERT_IN_CHAIN',
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        'ERR_TLS_CERT_ALTNAME_INVALID',
        'CERT_HAS_EXPIRED',
      ] as const
    ).map((causeCode): [string, ConnectionErrorInput, FailureReport] => [
      `the https proxy's own certificate not trusted (${causeCode})`,
      {
        code: 'UND_ERR_PRX_TLS',
        causeCode,
        message: 'Secure Proxy Connection failed',
        phase: 'connecting',
        proxy: TLS_PROXY,
      },
      untrusted(`the egress proxy ${TLS_PROXY}`, causeCode),
    ]),
    [
      "Graph's certificate, through the proxy's tunnel, not trusted (a TLS-inspecting proxy's)",
      { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'x', phase: 'connecting', proxy: PROXY },
      untrusted(
        `Microsoft Graph, as presented through the egress proxy ${PROXY},`,
        'SELF_SIGNED_CERT_IN_CHAIN',
      ),
    ],
    [
      'a failed TLS connection to the proxy for another reason reads as an unreachable proxy',
      {
        code: 'UND_ERR_PRX_TLS',
        causeCode: 'ECONNRESET',
        message: 'Secure Proxy Connection failed',
        phase: 'connecting',
        proxy: TLS_PROXY,
      },
      {
        failure: 'connection',
        sent: false,
        reason: `the egress proxy ${TLS_PROXY} could not be reached or could not reach Graph (could not connect: UND_ERR_PRX_TLS)`,
      },
    ],
    [
      'a certificate code once the request was sent is not read as a refused handshake',
      { code: 'CERT_HAS_EXPIRED', message: 'x', phase: 'sent', proxy: null },
      {
        failure: 'connection',
        sent: true,
        reason: 'the connection closed before Microsoft Graph answered (CERT_HAS_EXPIRED)',
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
      'a gzip body that does not inflate',
      corruptGzipFailure(),
      {
        failure: 'broken-body',
        sent: true,
        reason: 'the answer is marked gzip but does not decompress (corrupt or cut off)',
      },
    ],
    ...(
      [
        ['br', 'br'],
        [' Deflate ', 'deflate'],
        ['gzip, br', 'gzip, br'],
        ['x-compress,zstd', 'x-compress,zstd'],
        // Anything that does not read as coding names is not repeated: quotes, parameters, a long value.
        ['gzip;q=1', 'an unknown coding'],
        ['"br"', 'an unknown coding'],
        ['Bearer eyJ0eXAi', 'an unknown coding'],
        ['a'.repeat(61), 'an unknown coding'],
      ] as const
    ).map(([header, named]): [string, FailureReport, FailureReport] => [
      `a coding not asked for: ${JSON.stringify(header)}`,
      unsupportedEncodingFailure(header),
      {
        failure: 'unsupported-encoding',
        sent: true,
        reason: `the answer is encoded as ${named} (Content-Encoding), which the gateway did not ask for and cannot read`,
      },
    ]),
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
