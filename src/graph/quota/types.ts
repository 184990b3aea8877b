import type { QuotaIdentity, QuotaKind, QuotaLimits } from './limits';
import type { QuotaStore } from './store';

export interface QuotaTake {
  readonly identity: QuotaIdentity;
  readonly kind: QuotaKind;
  /** Up to this many calls (≥ 1); a `$batch` chunk asks for its item count. */
  readonly max: number;
  /** Epoch ms: budget that frees up later than this is refused at once. */
  readonly deadline: number;
  /** The operation's cancellation: read on every step, its `AbortSignal` made only if the take waits. */
  readonly cancellation?: QuotaCancellation;
  /**
   * `false` when Graph has never accepted the caller's token (`identity.ts`, `createTokenProofs`): its claims may be
   * forged, so the take first passes its tenant's gate for unproven tokens (`unproven.ts`), which lets only a small
   * part of the tenant's budget be held by such calls at once. `true` (the default) skips the gate.
   */
  readonly proven?: boolean;
  /**
   * The caller's `tokenKey` (a SHA-256 of its `Authorization` value, never the token): while a 429 answered to this
   * token while it was unproven holds it (`QuotaGrant.throttled`), its takes wait for that hold first.
   */
  readonly token?: string;
  /**
   * The take completes an operation Graph already acted on (the read of an update Graph answered 204 No Content): it
   * goes ahead of the takes waiting in its tenant's queue instead of behind them. Behind them it waited for calls
   * that arrived after its write, and past its deadline the applied update answered as a failure (the quota probe
   * of 2026-12-06: 16 of 20). Each one needs a write Graph applied, so no caller can jump the queue with it.
   */
  readonly continuation?: boolean;
}

/** What the pacer reads of an operation (graph/client/operation.ts's `Cancellation`, restated: no import cycle). */
export interface QuotaCancellation {
  readonly stopped: string | null;
  /**
   * The gateway drains: a take that would wait is refused at once (told when its budget would have freed), and one
   * waiting is refused when its signal aborts with `stopped` unset. A take that needs no wait is still granted.
   */
  readonly draining?: boolean;
  signal(): AbortSignal;
}

export interface QuotaGrant {
  readonly granted: number;
  readonly waitedMs: number;
  /** The store's clock when the calls were recorded, epoch ms (Redis `TIME` when shared). */
  readonly at: number;
  /** `true` when the grant came from the shared store, `false` in-process (including the fallback). */
  readonly shared: boolean;
  /**
   * Gives budget back: Graph answered 401/403, so the call did not count (and a forged claim must not cost another
   * tenant). `count` releases that many (the items of a `$batch` answered 401/403); all that remain by default.
   * The tenant's waiting takes then try again at once (on this replica).
   */
  release(count?: number): void;
  /**
   * Graph answered 429: the tenant and app hold, on every replica sharing the store, for `retryAfterMs` (Graph's
   * `Retry-After`) or, without one, a whole window; never longer than the pacer's `maxHoldMs`. The app's limit of
   * this kind is lowered, unless it already was since this grant (`throttle.ts`). Unless `trusted` is false (the
   * token is unproven: by default, as it was at the take): then only the take's `token` holds, in this replica, and
   * no limit changes (`unproven.ts`, `throttleEffect`).
   */
  throttled(retryAfterMs?: number, trusted?: boolean): void;
  /**
   * The attempt is over (`end` says how): an unproven token's place in its tenant's gate is free again, and its calls
   * (those not given back) count from when they may have reached Graph at the latest, when that is later than the
   * margin after the take (`QuotaStoreResult.arrivedBy`). Idempotent.
   */
  done(end?: AttemptEnd): void;
}

/**
 * How an attempt ended, for its grant: when its calls may have reached Graph at the latest.
 * - `{ answeredMsAgo }`: Graph began answering that long ago, so it had them by then.
 * - `'unanswered'`: sent (or perhaps sent) and not answered: timed out, reset, or its caller went away. They may
 *   still reach Graph; the pacer counts them as if the attempt had run its whole time (`attemptTimeoutMs`).
 * - `'unsent'`: never sent (the connection was never made): they cannot reach Graph.
 * Without one: they reached Graph by now.
 */
export type AttemptEnd = { readonly answeredMsAgo: number } | 'unanswered' | 'unsent';

export interface QuotaRefusal {
  readonly refused: true;
  /** When budget frees up, from now. */
  readonly retryAfterMs: number;
  readonly waitedMs: number;
}

export interface QuotaCancelled {
  readonly cancelled: true;
}

export type QuotaOutcome = QuotaGrant | QuotaRefusal | QuotaCancelled;

export interface QuotaPacer {
  /**
   * Waits (within `deadline`, cancellable by `signal`) until at least one call of this kind fits every window of
   * the identity, then records and grants `min(max, what fits)`. A write counts in the write windows and in the
   * call windows. Refuses at once when budget cannot free up before the deadline, or before the takes queued ahead
   * of it have theirs. Waiting takes are served in arrival order per tenant (`wait-queue.ts`); one tenant's waiting
   * never delays another's. While the take's operation drains, a take that would wait is refused at once instead.
   */
  take(request: QuotaTake): Promise<QuotaOutcome>;
  /**
   * Every caller of this identity, and every replica sharing the store, holds until then (at most `maxHoldMs` from
   * now); the takes that waited then go one at a time, spaced with jitter, for one window. `QuotaGrant.throttled`
   * is the same for a 429, with the adaptive limit on top.
   */
  block(identity: QuotaIdentity, untilEpochMs: number): void;
  /** When the 429 hold of an unproven token (by its key) ends, epoch ms; 0 when it has none. One map lookup. */
  tokenHeldUntil(token: string | undefined): number;
  /**
   * Waits out a token's hold (`tokenHeldUntil`): 0 once it is over; the ms left when it ends at or past the
   * deadline (nothing waited); null when cancelled.
   */
  waitForToken(
    take: Pick<QuotaTake, 'token' | 'deadline' | 'cancellation'>,
  ): Promise<number | null>;
  /** Ends the takes still waiting (cancelled) and closes the store. */
  close(): Promise<void>;
}

/** Observability callbacks; logging is the caller's (this module has no logger). None may throw. */
export interface QuotaHooks {
  /** Once per take that ends in a grant or a refusal: how long it waited for budget (0 when it did not). */
  waited?(ms: number, kind: QuotaKind): void;
  refused?(kind: QuotaKind): void;
  /** The shared store failed or timed out (including failed recovery probes). */
  storeError?(error: unknown): void;
  /**
   * `true` once when the pacer falls back to in-process windows (and to this replica's share of the limits),
   * `false` once when the shared store is back.
   */
  fallback?(active: boolean): void;
  /** The adaptive limit of a tenant and app changed (`throttle.ts`): lowered after a 429, or raised back. */
  limitChanged?(change: QuotaLimitChange): void;
  /** `count` calls ended later than the margin after their take: their budget now counts from their end. */
  late?(count: number, kind: QuotaKind): void;
}

/** One change of an adaptive limit, and what is in force for this kind across identities afterwards. */
export interface QuotaLimitChange {
  readonly tenant: string;
  readonly app: string;
  readonly kind: QuotaKind;
  /** The app's limit for this kind now (`appWrites` for writes, `appCalls` for reads), and the configured one. */
  readonly limit: number;
  readonly base: number;
  /** `throttled`: a 429 answered to this replica; `block`: another replica's 429, seen as its block; `raised`. */
  readonly cause: 'throttled' | 'block' | 'raised';
  /** The lowest limit of this kind in force for any tenant and app (the configured one when none is lowered). */
  readonly lowest: number;
  /** How many tenant and app pairs have a lowered limit of this kind. */
  readonly lowered: number;
}

export interface QuotaPacerOptions {
  /** `null`: quotas off, `take()` grants `max` at once. */
  readonly limits: QuotaLimits | null;
  /** The shared store (Redis); in-process when absent. The pacer owns it and closes it. */
  readonly store?: QuotaStore;
  /** Epoch ms. */
  readonly now?: () => number;
  /** Resolves `true` after `ms`, `false` as soon as `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
  readonly hooks?: QuotaHooks;
  /** Bound on each shared-store call; slower counts as a failure and the take is served in-process. */
  readonly storeTimeoutMs?: number;
  /** While falling back, how often the shared store is probed (in the background, never by a request). */
  readonly probeIntervalMs?: number;
  /**
   * How many replicas share the store (default 1): while it cannot be reached, this one paces to its share of
   * each limit, the limit divided by this, rounded down but at least 1 (`replicaShare`).
   */
  readonly replicas?: number;
  /** The longest any hold lasts (GRAPH_QUOTA_MAX_HOLD_MS): a `Retry-After` of a day must not stop a tenant for a day. */
  readonly maxHoldMs?: number;
  /** A number in [0, 1), for the jitter of the calls let out after a hold (`throttle.ts`); `Math.random` by default. */
  readonly random?: () => number;
  /**
   * The part of `limits.windowMs` that is margin (GRAPH_QUOTA_MARGIN_MS, 0 by default): the time a grant may take to
   * reach Graph unchecked. An attempt that ends later than this after its take has its calls counted from its end
   * (`QuotaGrant.done`).
   */
  readonly marginMs?: number;
  /**
   * The longest one attempt may take (GRAPH_TIMEOUT_MS; the gateway always says): a call sent and not answered may
   * reach Graph until then, and counts until a window after it (`AttemptEnd`); when it may outlast half of Graph's
   * window, grants still going are dated again meanwhile (`grant.ts`, `InFlightGrants`). Unset: neither.
   */
  readonly attemptTimeoutMs?: number;
}

/** `setTimeout` that ends early (resolving `false`) when the signal aborts: the pacer's default `sleep`. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function isQuotaGrant(outcome: QuotaOutcome): outcome is QuotaGrant {
  return 'granted' in outcome;
}

export function isQuotaRefusal(outcome: QuotaOutcome): outcome is QuotaRefusal {
  return 'refused' in outcome;
}

export function isQuotaCancelled(outcome: QuotaOutcome): outcome is QuotaCancelled {
  return 'cancelled' in outcome;
}
