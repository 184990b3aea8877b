import type { GatewayError } from '../errors';
import { graphResponseError, retryAfterOf, upstreamMalformedError } from './errors';
import type { GraphHttpResponse } from './errors';
import type { AttemptFailure } from './retry';

/** The outcome of one HTTP attempt: Graph's usable answer, or why it failed and the error it means. */
export type Attempt =
  | {
      readonly ok: true;
      readonly response: GraphHttpResponse;
      readonly body: Readonly<Record<string, unknown>> | undefined;
    }
  | {
      readonly ok: false;
      readonly failure: AttemptFailure;
      readonly error: GatewayError;
      readonly status: number | null;
      /** Graph's `request-id`, when Graph answered at all. */
      readonly requestId?: string;
    };

/** Classifies Graph's answer: a success with a usable body, or a failure for the retry policy. */
export function toAttempt(response: GraphHttpResponse): Attempt {
  if (response.status < 200 || response.status > 299) {
    const error = graphResponseError(response);
    const retryAfterSeconds = retryAfterOf(error);
    return {
      ok: false,
      status: response.status,
      ...(response.headers['request-id'] ? { requestId: response.headers['request-id'] } : {}),
      error,
      failure: {
        kind: 'status',
        status: response.status,
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      },
    };
  }
  try {
    return { ok: true, response, body: parseObjectBody(response.body) };
  } catch (error) {
    return {
      ok: false,
      status: response.status,
      ...(response.headers['request-id'] ? { requestId: response.headers['request-id'] } : {}),
      error: error as GatewayError,
      failure: { kind: 'malformed' },
    };
  }
}

/** Response headers with lower-case names, multi-valued ones joined as HTTP would fold them. */
export function lowerCaseHeaders(headers: object): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') result[name.toLowerCase()] = value;
    else if (Array.isArray(value)) result[name.toLowerCase()] = value.join(', ');
  }
  return result;
}

/** Graph's success body: a JSON object, or `undefined` when empty (204); anything else is UPSTREAM_ERROR. */
export function parseObjectBody(body: string): Record<string, unknown> | undefined {
  if (body.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw upstreamMalformedError('the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw upstreamMalformedError('the body is not a JSON object');
  return parsed as Record<string, unknown>;
}
