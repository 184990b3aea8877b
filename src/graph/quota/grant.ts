import type { QuotaIdentity, QuotaLimits } from './limits';
import type { ResilientResult } from './stores/resilient-store';
import { createReleaseCounter } from './store';
import type { ReleaseCounter } from './store';
import type { ThrottleBook } from './throttle';
import type { QuotaGrant, QuotaHooks, QuotaOutcome, QuotaTake } from './types';
import { throttleEffect } from './identity';
import type { TokenHolds } from './identity';
import type { GatePass } from './unproven';

/** What a grant needs of its pacer: its clock, hooks and settings, and the holds and queues it acts on. */
export interface GrantContext {
  readonly now: () => number;
  readonly hooks: QuotaHooks;
  readonly limits: QuotaLimits;
  readonly book: ThrottleBook;
  readonly tokens: TokenHolds;
  readonly maxHoldMs: number;
  readonly marginMs: number;
  /** Holds the identity here and in the store (at most `maxHoldMs`). */
  hold(identity: QuotaIdentity, ms: number): void;
  /** The tenant's waiting takes try again at once. */
  wake(tenant: string): void;
}

/** The take a grant ends: its request, its gate pass, when it started and when its last try asked the store. */
export interface GrantedTake {
  readonly request: QuotaTake;
  readonly pass: GatePass | undefined;
  readonly started: number;
  readonly asked: number;
}

const NOTHING = () => {};
const NO_EFFECT = { release: NOTHING, throttled: NOTHING, done: NOTHING };

/** Quotas off: `max` at once, and nothing to settle. */
export function unlimitedGrant(request: QuotaTake, now: number): QuotaOutcome {
  const granted = Math.max(1, Math.floor(request.max));
  return { granted, waitedMs: 0, at: now, shared: false, ...NO_EFFECT };
}

/**
 * The caller's grant. `release()` is synchronous, never gives back more than was granted, never throws, and
 * wakes the tenant's queue once the store has the budget back: a 401/403 frees budget now, and the takes waiting
 * for it should not sleep until the window would have freed it anyway.
 */
export function createGrant(
  context: GrantContext,
  take: GrantedTake,
  result: ResilientResult,
): QuotaGrant {
  const { request, pass } = take;
  const { identity } = request;
  const waitedMs = context.now() - take.started;
  context.hooks.waited?.(waitedMs, request.kind);
  const grantedSeq = context.book.sequence;
  const releasable = createReleaseCounter(result.granted);
  const wake = () => context.wake(identity.tenant);
  let ended = false;
  return {
    granted: result.granted,
    waitedMs,
    at: result.at,
    shared: result.shared,
    release: (count) => {
      const n = releasable.take(count);
      if (n > 0) void result.release(n).then(wake, wake);
    },
    // Graph answered 429: hold (its Retry-After, or a whole window), and lower the limit if earned; for an
    // unproven token, hold that token only.
    throttled: (retryAfterMs, trusted = request.proven !== false) => {
      const { limits, maxHoldMs } = context;
      const effect = throttleEffect(trusted, retryAfterMs, limits.windowMs, maxHoldMs);
      if (effect.holds === 'token') return context.tokens.hold(request.token, effect.holdMs);
      if (effect.lowersLimit) context.book.throttled(identity, request.kind, limits, grantedSeq);
      context.hold(identity, effect.holdMs);
    },
    done: () => {
      pass?.free();
      if (ended) return;
      ended = true;
      if (context.now() - take.asked > context.marginMs)
        arrivedLate(context, request, result, releasable);
    },
  };
}

/**
 * The attempt ended later than the margin after its take: Graph may have counted its calls from as late as now,
 * so they count from now here too, and in every replica's windows (`QuotaStoreResult.arrivedBy`). Counted from
 * the grant, they would free their place while Graph still counts them, and the next call would land over the
 * limit. A failure here is the store's to report (the resilient store falls back).
 */
function arrivedLate(
  context: GrantContext,
  request: QuotaTake,
  result: ResilientResult,
  left: ReleaseCounter,
): void {
  if (left.remaining === 0 || !result.arrivedBy) return;
  context.hooks.late?.(left.remaining, request.kind);
  void result.arrivedBy(context.marginMs).catch(NOTHING);
}
