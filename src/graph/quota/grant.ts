import type { QuotaIdentity, QuotaKind, QuotaLimits } from './limits';
import type { ResilientResult } from './stores/resilient-store';
import { createReleaseCounter } from './store';
import type { ReleaseCounter } from './store';
import type { ThrottleBook } from './throttle';
import type { AttemptEnd, QuotaGrant, QuotaHooks, QuotaOutcome, QuotaTake } from './types';
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
  /**
   * GRAPH_TIMEOUT_MS: how long a call sent and not answered may still reach Graph (`AttemptEnd`). Unknown (a pacer
   * not told): such a call counts from its end.
   */
  readonly attemptTimeoutMs: number | undefined;
  /** Holds the identity here and in the store (at most `maxHoldMs`). */
  hold(identity: QuotaIdentity, ms: number): void;
  /** The tenant's waiting takes try again at once. */
  wake(tenant: string): void;
  /** Set when the pacer knows the attempts' time (`needsInFlight`): grants still going are dated again meanwhile. */
  readonly inFlight: InFlightGrants | undefined;
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
  const { kind, deadline } = request;
  const flight: Flight = { dated: take.asked, result, left: releasable, kind, deadline };
  context.inFlight?.add(flight);
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
    done: (end) => {
      pass?.free();
      if (ended) return;
      ended = true;
      context.inFlight?.delete(flight);
      const now = context.now();
      const latest = latestArrival(end, now, take.asked, context.attemptTimeoutMs);
      if (latest !== null && latest - flight.dated > context.marginMs)
        arrivedLate(context, flight, now, latest);
    },
  };
}

/** A grant whose attempt is still going, and when its entries were last dated (this replica's clock). */
interface Flight {
  dated: number;
  late?: boolean;
  readonly result: ResilientResult;
  readonly left: ReleaseCounter;
  readonly kind: QuotaKind;
  /** Its operation's deadline: no attempt of it is sent or goes on past it. */
  readonly deadline: number;
}

/** When the calls of an attempt that ended so may have reached Graph at the latest; null: they cannot. */
export function latestArrival(
  end: AttemptEnd | undefined,
  now: number,
  asked: number,
  attemptTimeoutMs: number | undefined,
): number | null {
  if (end === undefined) return now;
  if (end === 'unsent') return null;
  // Sent and not answered (timed out, reset, its caller gone): on its way still, as long as an attempt may last.
  if (end === 'unanswered') return Math.max(now, asked + (attemptTimeoutMs ?? 0));
  return now - Math.max(0, end.answeredMsAgo);
}

/**
 * The calls may have reached Graph as late as `latest`, later than the margin after their entries' date: they count
 * from then here too, and in every replica's windows (`QuotaStoreResult.arrivedBy`; `latest` may be ahead of now).
 * Counted from the grant, they would free their place while Graph still counts them, and the next call would land
 * over the limit. A failure here is the store's to report (the resilient store falls back). The hook counts a
 * grant's calls once.
 */
function arrivedLate(
  context: Pick<GrantContext, 'hooks' | 'marginMs'>,
  flight: Flight,
  now: number,
  latest: number,
): void {
  const { result, left } = flight;
  if (left.remaining === 0 || !result.arrivedBy) return;
  if (!flight.late) context.hooks.late?.(left.remaining, flight.kind);
  flight.late = true;
  flight.dated = latest - context.marginMs;
  void result.arrivedBy(context.marginMs - (latest - now)).catch(NOTHING);
}

/**
 * Whether grants still going are dated again while they last (`InFlightGrants`): whenever the pacer knows the
 * attempts' time, as the gateway's does. Not only attempts that may outlast half a window need it: a call of a token
 * Graph has not accepted takes its budget before its place in the lane all unproven tokens share (client/tenant-cap.ts),
 * and may wait for that place past its grant's window; counted from its grant, it would be sent over the limit.
 */
export function needsInFlight(attemptTimeoutMs: number | undefined): boolean {
  return attemptTimeoutMs !== undefined;
}

/**
 * Grants still going, dated again while they last. A grant whose call waits (for a place in the lanes of unproven
 * tokens) or whose attempt lasts longer than a window plus the margin would otherwise see its entries expire while
 * its call may still reach Graph, and another call take their place. One timer per pacer, unref'd, running only
 * while attempts are in flight, every quarter of Graph's window: an attempt is dated again once half a window has
 * passed since it last was, well before its entries could expire. A grant still here past its operation's deadline
 * (its `done` missed: a bug) is dated to that deadline once more and let go, so that it cannot hold budget for ever.
 * Made only when `needsInFlight`.
 */
export class InFlightGrants {
  private readonly flights = new Set<Flight>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly context: Pick<GrantContext, 'now' | 'hooks' | 'limits' | 'marginMs'>,
  ) {}

  add(flight: Flight): void {
    this.flights.add(flight);
    if (!this.timer) this.start();
  }

  delete(flight: Flight): void {
    this.flights.delete(flight);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flights.clear();
  }

  private get graphWindowMs(): number {
    return this.context.limits.windowMs - this.context.marginMs;
  }

  private start(): void {
    this.timer = setInterval(() => this.sweep(), Math.max(10, this.graphWindowMs / 4));
    this.timer.unref();
  }

  private sweep(): void {
    // Stopped here, not when the last attempt ends: under load the set empties and fills again all the time.
    if (this.flights.size === 0) return this.close();
    const now = this.context.now();
    const half = this.graphWindowMs / 2;
    for (const flight of this.flights) {
      const latest = Math.min(now, flight.deadline);
      if (latest - flight.dated >= half || latest < now)
        arrivedLate(this.context, flight, now, latest);
      if (latest < now) this.flights.delete(flight);
    }
  }
}
