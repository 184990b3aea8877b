import { cancelledError, deadlineError, isGraphError, shutDownError } from '../errors';
import type { GraphError } from '../errors';
import type { Cancellation } from './operation';
import { decideRetry } from './retry';
import type { AttemptFailure, GraphMethod, RetryPolicyOptions } from './retry';
import type { GraphClock } from '../types';

/** One attempt's result: done, or failed in a way the policy may retry. */
export type LoopStep<T> =
  | { readonly done: true; readonly value: T }
  | {
      readonly done: false;
      readonly error: GraphError;
      readonly failure: AttemptFailure;
      /** Told whether (and after how long) the loop sends again, for the attempt's log line and metrics. */
      readonly settle?: (retryInMs: number | null) => void;
    };

export interface RetryLoopOptions {
  readonly method: GraphMethod;
  readonly policy: RetryPolicyOptions;
  readonly deadline: number;
  /** The operation's: the caller's disconnect, the end of the request, the deadline. */
  readonly cancellation: Cancellation;
  readonly clock: GraphClock;
}

/**
 * The error a stopped operation's calls end with. Stopped at its deadline where that is the drain's end
 * (`cutByDrain`), the call was not sent because the gateway shuts down, and another replica can take it.
 */
export function stopError(cancellation: Cancellation): GraphError | null {
  if (cancellation.stopped === null) return null;
  if (cancellation.stopped !== 'deadline') return cancelledError();
  return pastDeadlineError(cancellation);
}

/** Nothing is sent past the deadline: the operation's own, or the drain's end. */
function pastDeadlineError(cancellation: Cancellation): GraphError {
  return cancellation.cutByDrain === true ? shutDownError() : deadlineError();
}

/**
 * The one retry loop, for single calls and `$batch` alike. Nothing is sent once the caller has gone or the
 * deadline has passed; every wait ends early on either, so no retry outlives a disconnect. Nor a drain: a back-off
 * it cuts short ends with the attempt's error, and the retry is not sent.
 *
 * A retry that ends unsent (no budget, no place, the drain, the drain's end) would say "nothing was sent", which is
 * not true of the attempt before it: a PATCH answered 503 may have been applied. Wherever the loop ends so, the
 * caller gets that attempt's error instead.
 */
export async function withRetries<T>(
  options: RetryLoopOptions,
  attempt: (retries: number) => Promise<LoopStep<T>>,
): Promise<T> {
  const sent: { error?: GraphError } = {};
  try {
    return await loop(options, attempt, sent);
  } catch (error) {
    throw sent.error && isGraphError(error) && error.kind === 'quota' ? sent.error : error;
  }
}

async function loop<T>(
  options: RetryLoopOptions,
  attempt: (retries: number) => Promise<LoopStep<T>>,
  sent: { error?: GraphError },
): Promise<T> {
  const { clock, cancellation } = options;
  for (let retries = 0; ; retries += 1) {
    const stopped = stopError(cancellation);
    if (stopped) throw stopped;
    if (clock.now() >= options.deadline) throw pastDeadlineError(cancellation);
    const step = await attempt(retries);
    if (step.done) return step.value;
    sent.error = step.error;
    const decision = decideRetry(options.policy, {
      method: options.method,
      failure: step.failure,
      retriesSoFar: retries,
      remainingMs: options.deadline - clock.now(),
      random: clock.random(),
    });
    // Draining, the back-off is not waited out: the caller gets the error a last retry would have given.
    const retry = decision.retry && !cancellation.draining;
    step.settle?.(retry ? decision.delayMs : null);
    // A call cut short by a disconnect says so; one cut by the deadline keeps its own timeout error.
    if (cancellation.stopped === 'cancelled') throw cancelledError();
    if (!retry) throw step.error;
    if (cancellation.stopped) throw stopError(cancellation)!;
    try {
      await clock.sleep(decision.delayMs, cancellation.signal());
    } catch (error) {
      throw stopError(cancellation) ?? (cancellation.draining ? step.error : error);
    }
    // A clock that does not read the signal (tests') may sleep through the drain: the retry is not sent either.
    if (cancellation.draining) throw step.error;
  }
}

/** The real clock: `setTimeout` waits that a disconnect cuts short. */
export const systemClock: GraphClock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(cancelledError());
      const onAbort = () => {
        clearTimeout(timer);
        reject(cancelledError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
