/**
 * When to send a Graph request again, and after how long. Pure: the clock and the randomness are parameters.
 * Follows Microsoft's Graph SDK retry handler: only 429, 503 and 504 (never 500 or 502), `Retry-After` honoured,
 * otherwise exponential backoff from a 3 s base (the SDK's default), with jitter that only ever adds: Intune counts
 * its quotas in 20-second windows, and a retry within a second or two of a throttled call is throttled again.
 * https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling
 */

export type GraphMethod = 'GET' | 'PATCH' | 'POST' | 'DELETE';

export interface RetryPolicyOptions {
  /** Retries after the first attempt (GRAPH_MAX_RETRIES). */
  readonly maxRetries: number;
  /** The longest single wait (GRAPH_MAX_RETRY_DELAY_MS); a longer `Retry-After` means no retry. */
  readonly maxDelayMs: number;
  /** First backoff step without `Retry-After` (GRAPH_RETRY_BASE_DELAY_MS); doubles each retry, capped at `maxDelayMs`. */
  readonly baseDelayMs: number;
}

/** How an attempt failed. `sent` tells whether the request may have reached Graph. */
export type AttemptFailure =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfterSeconds?: number }
  | { readonly kind: 'connection'; readonly sent: boolean; readonly permanent?: boolean }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'malformed' };

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | {
      readonly retry: false;
      readonly reason: 'not-retryable' | 'exhausted' | 'retry-after-too-long' | 'deadline';
    };

export interface RetryInput {
  readonly method: GraphMethod;
  readonly failure: AttemptFailure;
  /** Retries already made (0 after the first attempt). */
  readonly retriesSoFar: number;
  /** What is left of the operation's deadline. */
  readonly remainingMs: number;
  /** A number in [0, 1), for the jitter. */
  readonly random: number;
}

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

/**
 * GET, PATCH and DELETE are idempotent and may be sent again. A POST only when it cannot have reached Graph
 * (the connection was never made): creating twice is worse than failing once.
 */
function isRetryableFailure(method: GraphMethod, failure: AttemptFailure): boolean {
  if (failure.kind === 'connection')
    return !failure.permanent && (method !== 'POST' || !failure.sent);
  if (failure.kind !== 'status' || !RETRYABLE_STATUSES.has(failure.status)) return false;
  return method !== 'POST';
}

export function decideRetry(options: RetryPolicyOptions, input: RetryInput): RetryDecision {
  if (!isRetryableFailure(input.method, input.failure))
    return { retry: false, reason: 'not-retryable' };
  if (input.retriesSoFar >= options.maxRetries) return { retry: false, reason: 'exhausted' };
  const retryAfter = input.failure.kind === 'status' ? input.failure.retryAfterSeconds : undefined;
  if (retryAfter !== undefined) {
    // Never cut a Retry-After short: retrying early only earns another 429.
    const delayMs = Math.ceil(retryAfter * 1000);
    if (delayMs > options.maxDelayMs) return { retry: false, reason: 'retry-after-too-long' };
    if (delayMs >= input.remainingMs) return { retry: false, reason: 'deadline' };
    return { retry: true, delayMs };
  }
  // base·2ⁿ (n retries so far: the first retry waits the base) plus up to as much again: never below the step, so a burst of callers spreads out without any of
  // them coming back early.
  const step = options.baseDelayMs * 2 ** input.retriesSoFar;
  const delayMs = Math.min(options.maxDelayMs, Math.floor(step + input.random * step));
  if (delayMs >= input.remainingMs) return { retry: false, reason: 'deadline' };
  return { retry: true, delayMs };
}

/**
 * Graph's `Retry-After` in seconds: a (possibly fractional) number of seconds, or an HTTP date. `undefined` when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(Number(text), MAX_RETRY_AFTER_SECONDS);
  if (!/[a-z]/i.test(text)) return undefined; // not a date either: "-1", "1e3", ""
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, (at - nowMs) / 1000));
}

/**
 * The largest `Retry-After` believed: a day. `1` followed by 400 zeros is `Infinity` to `Number`; clamping keeps
 * every figure the gateway reports finite (and far above any wait it would make).
 */
export const MAX_RETRY_AFTER_SECONDS = 86_400;
