import { GatewayError, GatewayErrorCode } from '../errors';
import type { GraphErrorDetails } from '../errors';
import { parseRetryAfter } from './retry';

/** An HTTP answer from Graph as the client saw it: status, lower-cased headers and the raw body text. */
export interface GraphHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

interface ErrorRow {
  readonly code: GatewayErrorCode;
  readonly message: string;
}

/**
 * The one table from Graph's HTTP status to the gateway's code. Branch on the status (and, in extensions, on
 * Graph's `error.code`), never on Graph's message. https://learn.microsoft.com/graph/errors
 */
const ERROR_TABLE: ReadonlyMap<number, ErrorRow> = new Map([
  [
    400,
    {
      code: GatewayErrorCode.BAD_USER_INPUT,
      message: 'Microsoft Graph rejected the request as invalid.',
    },
  ],
  [
    401,
    {
      code: GatewayErrorCode.UNAUTHENTICATED,
      message: 'Microsoft Graph did not accept the bearer token.',
    },
  ],
  [
    403,
    {
      code: GatewayErrorCode.FORBIDDEN,
      message: 'The bearer token is not allowed to do this in Microsoft Graph.',
    },
  ],
  [404, { code: GatewayErrorCode.NOT_FOUND, message: 'Microsoft Graph has no such user status.' }],
  [
    409,
    {
      code: GatewayErrorCode.CONFLICT,
      message: 'Microsoft Graph reported a conflict with the current state.',
    },
  ],
  [
    412,
    {
      code: GatewayErrorCode.CONFLICT,
      message: 'Microsoft Graph reported that a precondition failed.',
    },
  ],
  [
    429,
    {
      code: GatewayErrorCode.THROTTLED,
      message: 'Microsoft Graph is throttling these requests; retry later.',
    },
  ],
]);

const OTHER_STATUS: ErrorRow = {
  code: GatewayErrorCode.UPSTREAM_ERROR,
  message: 'Microsoft Graph could not complete the request.',
};

const MAX_GRAPH_MESSAGE_LENGTH = 500;

export function errorRowFor(status: number): ErrorRow {
  return ERROR_TABLE.get(status) ?? OTHER_STATUS;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown, max = 200): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, max) : null;
}

/** Graph's `{"error":{…}}` body, when the body is one; an empty, HTML or cut-off body gives `{}`. */
function parseErrorBody(body: string): Record<string, unknown> {
  if (!body.trimStart().startsWith('{')) return {};
  try {
    return asRecord(asRecord(JSON.parse(body))?.error) ?? {};
  } catch {
    return {};
  }
}

/** The safe summary of a Graph answer that clients see in `extensions.graph`. */
export function graphErrorDetails(response: GraphHttpResponse): GraphErrorDetails {
  const error = parseErrorBody(response.body);
  const inner = asRecord(error.innerError) ?? asRecord(error.innererror) ?? {};
  return {
    status: response.status,
    code: text(error.code),
    message: text(error.message, MAX_GRAPH_MESSAGE_LENGTH),
    requestId: text(response.headers['request-id']) ?? text(inner['request-id']),
    clientRequestId:
      text(response.headers['client-request-id']) ?? text(inner['client-request-id']),
    date: text(inner.date) ?? text(response.headers.date),
  };
}

/** Maps a non-success Graph answer to the gateway error its status names in the table. */
export function graphResponseError(response: GraphHttpResponse, nowMs = Date.now()): GatewayError {
  const row = errorRowFor(response.status);
  const retryAfterSeconds = parseRetryAfter(response.headers['retry-after'], nowMs);
  return new GatewayError(row.code, row.message, {
    graph: graphErrorDetails(response),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}

/** The `Retry-After` (in seconds) that Graph sent with the answer behind an error, read once when it was mapped. */
export function retryAfterOf(error: GatewayError): number | undefined {
  const seconds = error.extensions.retryAfterSeconds;
  return typeof seconds === 'number' ? seconds : undefined;
}

/** Graph gave no answer within `GRAPH_TIMEOUT_MS`. */
export function upstreamTimeoutError(timeoutMs: number): GatewayError {
  return new GatewayError(
    GatewayErrorCode.UPSTREAM_TIMEOUT,
    `Microsoft Graph did not answer within ${timeoutMs} ms.`,
  );
}

/** No connection to Graph could be made (refused, reset before an answer, unresolvable host). */
export function upstreamUnavailableError(): GatewayError {
  return new GatewayError(
    GatewayErrorCode.UPSTREAM_UNAVAILABLE,
    'Microsoft Graph could not be reached.',
  );
}

/** Graph answered, but not with what the API promises (not JSON, not an object, too large). */
export function upstreamMalformedError(reason: string): GatewayError {
  return new GatewayError(
    GatewayErrorCode.UPSTREAM_ERROR,
    `Microsoft Graph sent an answer the gateway cannot use: ${reason}.`,
  );
}
