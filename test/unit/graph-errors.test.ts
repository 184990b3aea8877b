import { GatewayErrorCode } from '../../src/errors';
import { graphErrorDetails, graphResponseError } from '../../src/graph/errors';
import { parseRetryAfter } from '../../src/graph/retry';

const response = (status: number, body = '', headers: Record<string, string> = {}) => ({
  status,
  body,
  headers,
});

describe('graphResponseError: the status table', () => {
  it.each([
    [400, GatewayErrorCode.BAD_USER_INPUT],
    [401, GatewayErrorCode.UNAUTHENTICATED],
    [403, GatewayErrorCode.FORBIDDEN],
    [404, GatewayErrorCode.NOT_FOUND],
    [409, GatewayErrorCode.CONFLICT],
    [412, GatewayErrorCode.CONFLICT],
    [429, GatewayErrorCode.THROTTLED],
    [302, GatewayErrorCode.UPSTREAM_ERROR],
    [405, GatewayErrorCode.UPSTREAM_ERROR],
    [500, GatewayErrorCode.UPSTREAM_ERROR],
    [502, GatewayErrorCode.UPSTREAM_ERROR],
    [503, GatewayErrorCode.UPSTREAM_ERROR],
    [504, GatewayErrorCode.UPSTREAM_ERROR],
  ])('%i → %s', (status, code) => {
    const error = graphResponseError(response(status));
    expect(error.code).toBe(code);
    expect(error.extensions.code).toBe(code);
  });
});

describe('graphErrorDetails', () => {
  const graphBody = JSON.stringify({
    error: {
      code: 'itemNotFound',
      message: 'Not found',
      innerError: {
        date: '2026-11-28T10:00:00',
        'request-id': 'inner-req',
        'client-request-id': 'inner-client',
      },
    },
  });

  it('takes code and message from the body, ids from the headers first', () => {
    expect(graphErrorDetails(response(404, graphBody, { 'request-id': 'hdr-req' }))).toEqual({
      status: 404,
      code: 'itemNotFound',
      message: 'Not found',
      requestId: 'hdr-req',
      clientRequestId: 'inner-client',
      date: '2026-11-28T10:00:00',
    });
  });

  it.each([
    ['empty', ''],
    ['HTML', '<html><body>Bad gateway</body></html>'],
    ['truncated JSON', '{"error":{"code":"itemNot'],
    ['a JSON array', '[1,2]'],
    ['an error that is a string', '{"error":"boom"}'],
  ])('an %s body gives nulls, never the body', (_name, body) => {
    expect(
      graphErrorDetails(response(502, body, { date: 'Sat, 28 Nov 2026 10:00:00 GMT' })),
    ).toEqual({
      status: 502,
      code: null,
      message: null,
      requestId: null,
      clientRequestId: null,
      date: 'Sat, 28 Nov 2026 10:00:00 GMT',
    });
  });

  it('cuts a very long Graph message', () => {
    const body = JSON.stringify({ error: { code: 'x', message: 'm'.repeat(5000) } });
    expect(graphErrorDetails(response(400, body)).message).toHaveLength(500);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-28T10:00:00Z');
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['3', 3],
    ['2.128', 2.128],
    [' 10 ', 10],
    ['-1', undefined],
    ['1e3', undefined],
    ['soon', undefined],
    ['Sat, 28 Nov 2026 10:00:05 GMT', 5],
    ['Sat, 28 Nov 2026 09:59:00 GMT', 0],
  ])('%j → %j', (value, seconds) => {
    expect(parseRetryAfter(value, now)).toBe(seconds);
  });

  it('puts retryAfterSeconds on the error', () => {
    const error = graphResponseError(response(429, '', { 'retry-after': '7' }), now);
    expect(error.extensions.retryAfterSeconds).toBe(7);
  });
});
