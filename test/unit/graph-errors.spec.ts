import { GatewayErrorCode } from '../../src/graphql/errors/gateway-error';
import type { GatewayError } from '../../src/graphql/errors/gateway-error';
import { GraphError, GraphInputError, quotaError } from '../../src/graph/errors';
import {
  jsonDepthExceeds,
  parseObjectBody,
  statusError,
  unwrapIntuneMessage,
} from '../../src/graph/client/response';
import { MAX_RETRY_AFTER_SECONDS, parseRetryAfter } from '../../src/graph/client/retry';
import { graphDetails, toGatewayError } from '../../src/graphql/errors/from-graph';

const mapped = (error: unknown) => toGatewayError(error) as GatewayError;
const status = (code: number, body = '', headers: Record<string, string> = {}) =>
  statusError(code, headers, body, Date.parse('2026-11-28T10:00:00Z'));

describe('toGatewayError: the status table, by status whatever Graph’s code says', () => {
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
  ])('%i → %s', (code, expected) => {
    const body = JSON.stringify({ error: { code: 'InternalError', message: 'x' } });
    const error = mapped(status(code, body));
    expect(error.code).toBe(expected);
    expect(error.extensions.code).toBe(expected);
  });

  it.each([
    ['timeout', GatewayErrorCode.UPSTREAM_TIMEOUT],
    ['connection', GatewayErrorCode.UPSTREAM_UNAVAILABLE],
    ['malformed', GatewayErrorCode.UPSTREAM_ERROR],
    ['cancelled', GatewayErrorCode.UPSTREAM_UNAVAILABLE],
    ['unauthenticated', GatewayErrorCode.UNAUTHENTICATED],
    ['quota', GatewayErrorCode.THROTTLED],
  ] as const)('kind %s → %s', (kind, expected) => {
    expect(mapped(new GraphError(kind, 'm')).code).toBe(expected);
  });

  it('an input error is BAD_USER_INPUT naming its argument', () => {
    const error = mapped(new GraphInputError('after is not a cursor.', 'after'));
    expect(error.code).toBe(GatewayErrorCode.BAD_USER_INPUT);
    expect(error.extensions.argument).toBe('after');
  });

  it('a quota refusal carries when to retry', () => {
    expect(mapped(quotaError(4.5)).extensions.retryAfterSeconds).toBe(4.5);
  });

  it('anything else passes unchanged (the formatter masks it)', () => {
    const bug = new TypeError('bug');
    expect(toGatewayError(bug)).toBe(bug);
  });
});

describe('statusError: what Graph said', () => {
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
    expect(graphDetails(status(404, graphBody, { 'request-id': 'hdr-req' }))).toEqual({
      status: 404,
      code: 'itemNotFound',
      message: 'Not found',
      requestId: 'hdr-req',
      clientRequestId: 'inner-client',
      date: '2026-11-28T10:00:00',
    });
  });

  it('an item’s own innerError request id wins over the batch envelope’s', () => {
    const error = statusError(404, {}, JSON.parse(graphBody) as Record<string, unknown>, 0, {
      'request-id': 'envelope',
    });
    expect(error.requestId).toBe('inner-req');
  });

  it.each([
    ['empty', ''],
    ['HTML', '<html><body>Bad gateway</body></html>'],
    ['truncated JSON', '{"error":{"code":"itemNot'],
    ['a JSON array', '[1,2]'],
    ['an error that is a string', '{"error":"boom"}'],
    ['nested 10,000 deep', `{"error":${'['.repeat(10_000)}`],
  ])('an %s body gives nulls, never the body', (_name, body) => {
    expect(graphDetails(status(502, body, { date: 'Sat, 28 Nov 2026 10:00:00 GMT' }))).toEqual({
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
    expect(status(400, body).graphMessage).toHaveLength(500);
  });
});

describe('unwrapIntuneMessage', () => {
  const wrapped = JSON.stringify({
    _version: 3,
    Message:
      'An error has occurred - Operation ID (for customer support): 00000000-0000-0000-0000-000000000001 - Activity ID: 7b3c0c32-8a0e-4f43-a1b1-2f8d21c7a9e4 - Url: https://fef.msub03.manage.microsoft.com/x - Some more',
    CustomApiErrorPhrase: '',
    RetryAfter: null,
  });

  it.each([
    [null, { message: null, activityId: null, operationId: null }],
    ['Plain text', { message: 'Plain text', activityId: null, operationId: null }],
    ['{not json', { message: null, activityId: null, operationId: null }],
    [
      wrapped,
      {
        message: 'An error has occurred',
        activityId: '7b3c0c32-8a0e-4f43-a1b1-2f8d21c7a9e4',
        operationId: '00000000-0000-0000-0000-000000000001',
      },
    ],
  ])('%j', (raw, expected) => {
    expect(unwrapIntuneMessage(raw)).toEqual(expected);
  });

  it('the mapped error shows the human message and the support ids, never the raw JSON', () => {
    const body = JSON.stringify({ error: { code: 'InternalError', message: wrapped } });
    const error = mapped(status(400, body));
    expect(error.code).toBe(GatewayErrorCode.BAD_USER_INPUT);
    expect(error.extensions.graph).toMatchObject({
      code: 'InternalError',
      message: 'An error has occurred',
      activityId: '7b3c0c32-8a0e-4f43-a1b1-2f8d21c7a9e4',
      operationId: '00000000-0000-0000-0000-000000000001',
    });
    expect(JSON.stringify(error.extensions)).not.toContain('_version');
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
    [`1${'0'.repeat(400)}`, MAX_RETRY_AFTER_SECONDS],
    ['Sat, 28 Nov 2026 10:00:05 GMT', 5],
    ['Sat, 28 Nov 2026 09:59:00 GMT', 0],
    ['Sat, 28 Nov 2099 10:00:00 GMT', MAX_RETRY_AFTER_SECONDS],
  ])('%j → %j', (value, seconds) => {
    expect(parseRetryAfter(value, now)).toBe(seconds);
  });

  it('puts a finite retryAfterSeconds on the error', () => {
    expect(status(429, '', { 'retry-after': '7' }).retryAfterSeconds).toBe(7);
    expect(
      Number.isFinite(status(429, '', { 'retry-after': `1${'0'.repeat(400)}` }).retryAfterSeconds),
    ).toBe(true);
  });
});

describe('Graph bodies the gateway refuses cheaply', () => {
  it.each([
    ['[[[1]]]', 3, false],
    ['[[[[1]]]]', 3, true],
    ['{"a":"[[[[[[[["}', 3, false],
    ['{"a":"\\"[[[[[[["}', 3, false],
  ])('depth of %s over %i: %s', (body, limit, expected) => {
    expect(jsonDepthExceeds(body, limit)).toBe(expected);
  });

  it('4 MB of nesting is refused without parsing it', () => {
    expect(() => parseObjectBody('['.repeat(4_000_000))).toThrow(/nested more than/);
  });
});
