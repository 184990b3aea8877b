import { GraphError, malformedError } from '../errors';
import { parseRetryAfter } from './retry';

/** An HTTP answer from Graph: status, lower-cased headers and the raw body text. */
export interface GraphHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

export type JsonObject = Readonly<Record<string, unknown>>;

const MAX_GRAPH_MESSAGE_LENGTH = 500;
/**
 * Graph's bodies are a few levels deep (a batch item's error: envelope → responses → item → body → error →
 * innerError). Anything much deeper is hostile or broken, and parsing it costs CPU and memory for nothing.
 */
export const MAX_JSON_DEPTH = 32;

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown, max = 200): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, max) : null;
}

/**
 * The nesting depth of JSON text, without parsing it: one pass over the characters, strings skipped. Stops as
 * soon as `limit` is passed, so a 4 MB `[[[[…` costs microseconds, not a second of `JSON.parse`.
 */
export function jsonDepthExceeds(body: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < body.length; index += 1) {
    const char = body.charCodeAt(index);
    if (inString) {
      if (char === 92 /* \ */) index += 1;
      else if (char === 34 /* " */) inString = false;
    } else if (char === 34) inString = true;
    else if (char === 123 /* { */ || char === 91 /* [ */) {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === 125 /* } */ || char === 93 /* ] */) depth -= 1;
  }
  return false;
}

/** Graph's success body: a JSON object, or `undefined` when empty (204); anything else is a malformed answer. */
export function parseObjectBody(body: string): JsonObject | undefined {
  if (body.trim() === '') return undefined;
  if (jsonDepthExceeds(body, MAX_JSON_DEPTH))
    throw malformedError(`the body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw malformedError('the body is not JSON');
  }
  const record = asRecord(parsed);
  if (!record) throw malformedError('the body is not a JSON object');
  return record;
}

/** Graph's `{"error":{…}}` object, when the body is one; an empty, HTML, cut-off or hostile body gives `{}`. */
function errorObject(body: string | JsonObject | undefined): Record<string, unknown> {
  if (typeof body !== 'string') return asRecord(body?.error) ?? {};
  if (!body.trimStart().startsWith('{') || jsonDepthExceeds(body, MAX_JSON_DEPTH)) return {};
  try {
    return asRecord(asRecord(JSON.parse(body))?.error) ?? {};
  } catch {
    return {};
  }
}

interface UnwrappedMessage {
  readonly message: string | null;
  readonly activityId: string | null;
  readonly operationId: string | null;
}

/**
 * Intune often puts a JSON string in `error.message`:
 * `{"_version":3,"Message":"An error has occurred - Operation ID (for customer support): … - Activity ID: … - Url: …",…}`.
 * The human text is its `Message`; the operation and activity ids are what Microsoft support asks for. Raw JSON
 * never reaches the caller.
 */
export function unwrapIntuneMessage(raw: string | null): UnwrappedMessage {
  if (raw === null || !raw.trimStart().startsWith('{'))
    return {
      message: raw?.slice(0, MAX_GRAPH_MESSAGE_LENGTH) ?? null,
      activityId: null,
      operationId: null,
    };
  let inner: Record<string, unknown> | undefined;
  try {
    inner = asRecord(JSON.parse(raw));
  } catch {
    inner = undefined;
  }
  const message = text(inner?.Message ?? inner?.message, 2000);
  if (!message) return { message: null, activityId: null, operationId: null };
  const activityId = /Activity ID:\s*([0-9a-fA-F-]{8,64})/.exec(message)?.[1] ?? null;
  const operationId = /Operation ID[^:]*:\s*([0-9a-fA-F-]{8,64})/.exec(message)?.[1] ?? null;
  // The human part is what comes before Intune's " - Operation ID" / " - Activity ID" / " - Url" trailer.
  const human = message.split(/\s+-\s+(?:Operation ID|Activity ID|Url)\b/)[0]?.trim() || message;
  return {
    message: human.slice(0, MAX_GRAPH_MESSAGE_LENGTH),
    activityId,
    operationId,
  };
}

/**
 * The typed error for a non-success answer: Graph's code, message and ids, and `Retry-After`. Ids from the
 * answer's own `innerError` win over `fallbackHeaders` (a `$batch` envelope's), so a failed batch item reports
 * its own request id. https://learn.microsoft.com/graph/errors
 */
export function statusError(
  status: number,
  headers: Readonly<Record<string, string | undefined>>,
  body: string | JsonObject | undefined,
  nowMs: number,
  fallbackHeaders: Readonly<Record<string, string | undefined>> = {},
): GraphError {
  const error = errorObject(body);
  const inner = asRecord(error.innerError) ?? asRecord(error.innererror) ?? {};
  const unwrapped = unwrapIntuneMessage(text(error.message, 20_000));
  const retryAfterSeconds = parseRetryAfter(headers['retry-after'], nowMs);
  return new GraphError('status', `Microsoft Graph answered HTTP ${status}.`, {
    status,
    code: text(error.code),
    graphMessage: unwrapped.message,
    activityId: unwrapped.activityId,
    operationId: unwrapped.operationId,
    requestId:
      text(headers['request-id']) ??
      text(inner['request-id']) ??
      text(fallbackHeaders['request-id']),
    clientRequestId:
      text(headers['client-request-id']) ??
      text(inner['client-request-id']) ??
      text(fallbackHeaders['client-request-id']),
    date: text(inner.date) ?? text(headers.date) ?? text(fallbackHeaders.date),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}

/**
 * A `$batch` envelope answered 424 that still holds its items' answers: Graph's older batching docs answered a batch
 * with throttled items 424 (the current ones 200), each item with its own status. Read as a 200 would be.
 */
function envelopeWithAnswers(response: GraphHttpResponse): JsonObject | undefined {
  if (response.status !== 424) return undefined;
  try {
    const body = parseObjectBody(response.body);
    return Array.isArray(body?.responses) ? body : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Classifies one answer: the success body, or the typed error. Never throws. `envelope`: the answer to a `$batch`,
 * whose 424 may carry its items' answers.
 */
export function readResponse(
  response: GraphHttpResponse,
  nowMs: number,
  envelope = false,
): { ok: true; body: JsonObject | undefined } | { ok: false; error: GraphError } {
  if (response.status < 200 || response.status > 299) {
    const answers = envelope ? envelopeWithAnswers(response) : undefined;
    if (answers) return { ok: true, body: answers };
    return {
      ok: false,
      error: statusError(response.status, response.headers, response.body, nowMs),
    };
  }
  try {
    return { ok: true, body: parseObjectBody(response.body) };
  } catch (error) {
    const malformed = error as GraphError;
    return {
      ok: false,
      error: new GraphError('malformed', malformed.message, {
        status: response.status,
        requestId: text(response.headers['request-id']),
        clientRequestId: text(response.headers['client-request-id']),
      }),
    };
  }
}
