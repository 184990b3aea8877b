/**
 * What the pacer does when Graph throttles although the gateway's windows had room (issue 23, point 4): Graph's
 * real budget is smaller than the gateway believes (another client of the same app registration, or a limit Intune
 * lowered), or a call arrived later than it was granted.
 *
 * - **Holds.** A 429 holds its tenant and app, on every replica (the store's block), for its `Retry-After`; without
 *   one, for a whole window: the gateway cannot know where Intune's window started, so only a whole window is sure
 *   to outlast it. No hold is longer than `maxHoldMs`, so `Retry-After: 1e20` cannot stop a tenant for a day.
 * - **Release.** When a hold ends, the calls that waited go out in steps of a tenth of the limit (at least one
 *   call): the first step at once, each next one about a tenth of the window after the last (between half and one
 *   and a half of that, at random, so that the replicas woken by one shared block drift apart), for one window:
 *   the limit's pace, never all at once. If Graph is still throttling, one step per replica learns it, not the
 *   whole queue.
 * - **Adaptive limit (AIMD).** Each 429 halves the app's limit of the call's kind (`appWrites` for a write,
 *   `appCalls` for a read) for this tenant and app, unless the call was granted before the limit was last lowered
 *   (it was already on its way: one storm, one decrease). A replica that finds another replica's block in force
 *   lowers its own limit too, at most once a window. Each window without a 429 raises the limit by 5 % of the
 *   configured one (at least 1), back to it. TCP's congestion control does the same for the same reason: the
 *   gateway cannot see the budget, only the refusals. https://learn.microsoft.com/graph/throttling
 */
import type { QuotaIdentity, QuotaKind, QuotaLimits } from './limits';
import {
  decreasedLimit,
  nextRelease,
  raisedLimit,
  releaseGap,
  releaseStep,
} from './throttle-policy';
import type { QuotaHooks } from './types';

/** Which app limit a kind's 429 lowers. */
const ADAPTED = { write: 'appWrites', read: 'appCalls' } as const;
const KINDS = ['write', 'read'] as const;
type Cause = 'throttled' | 'block' | 'raised';

interface Adaptive {
  limit: number;
  /** The book's `decreases` just after it was last lowered: calls granted before that were already on their way. */
  decreasedSeq: number;
  /** When last throttled (a 429, or a block seen) or raised: raises count from there. */
  signalAt: number;
  raisedAt: number;
}

const fresh = (limit: number): Adaptive => ({
  limit,
  decreasedSeq: 0,
  signalAt: -Infinity,
  raisedAt: -Infinity,
});

/**
 * A block found within this long after the end of this replica's own hold is that hold (Redis keeps it a round
 * trip longer than this replica's clock says; a waiter may wake a little late), not another replica's 429.
 */
export const OWN_HOLD_SLACK_MS = 500;

interface Pressure {
  readonly identity: QuotaIdentity;
  readonly adaptive: Partial<Record<QuotaKind, Adaptive>>;
  /** The hold this replica knows of, and the release that follows it (to `releaseUntil`). */
  holdUntil: number;
  releaseUntil: number;
  /** When the next step of the release may go (0: at once), and the calls left in the current one. */
  nextAt: number;
  stepLeft: number;
}

export interface ThrottleBookOptions {
  readonly now: () => number;
  readonly random: () => number;
  readonly hooks: QuotaHooks;
}

/**
 * When a take may go: now, with at most `max` calls (what is left of the release's step, booked for it: it gives
 * back what it did not use with `unused`), or not before `waitUntil`.
 */
export interface Release {
  readonly waitUntil: number;
  readonly max: number;
}

const GO: Release = Object.freeze({ waitUntil: 0, max: Infinity });

/** Holds, releases and adaptive limits per tenant and app, in this replica. Entries go once nothing is left. */
export class ThrottleBook {
  private readonly entries = new Map<string, Pressure>();
  /** One limits object per lowered value, so that the stores' caches keyed by it keep working. */
  private readonly lowered = new WeakMap<QuotaLimits, Map<string, QuotaLimits>>();
  private lastSweep = 0;
  private decreases = 0;

  constructor(private readonly options: ThrottleBookOptions) {}

  /** Decreases so far, anywhere: a grant notes it, so that a 429 knows whether its limit was lowered since. */
  get sequence(): number {
    return this.decreases;
  }

  /** Tenant and app pairs with a hold, a release or a lowered limit: memory stays bounded by the throttled ones. */
  get size(): number {
    return this.entries.size;
  }

  /** The limits a take is checked against: the configured ones, the app's limit of its kind lowered if it is. */
  limitsFor(identity: QuotaIdentity, kind: QuotaKind, limits: QuotaLimits): QuotaLimits {
    this.sweep(limits);
    if (this.entries.size === 0) return limits;
    const entry = this.entries.get(keyOf(identity));
    if (!entry) return limits;
    this.raise(entry, limits);
    const writes = entry.adaptive.write?.limit ?? limits.appWrites;
    const calls = entry.adaptive.read?.limit ?? limits.appCalls;
    if (writes === limits.appWrites && calls === limits.appCalls) return limits;
    return this.loweredLimits(limits, writes, calls);
  }

  /** A hold of this identity until `until` (this replica's clock), followed by a window of release. */
  hold(identity: QuotaIdentity, until: number, windowMs: number): void {
    const entry = this.entry(identity);
    if (until <= entry.holdUntil) return;
    entry.holdUntil = until;
    entry.releaseUntil = until + windowMs;
    entry.nextAt = 0;
    entry.stepLeft = 0;
  }

  /**
   * Graph answered 429 to a call of `kind` granted when `sequence` was `grantedSeq`: lowers the limit, unless it
   * was lowered after that grant (the call was on its way before: the same storm).
   */
  throttled(
    identity: QuotaIdentity,
    kind: QuotaKind,
    limits: QuotaLimits,
    grantedSeq: number,
  ): void {
    // Brought up to date first: the windows without a 429 since the last one count.
    this.limitsFor(identity, kind, limits);
    const entry = this.entry(identity);
    const adaptive = this.adaptiveOf(entry, kind, limits);
    const now = this.options.now();
    adaptive.signalAt = now;
    if (grantedSeq < adaptive.decreasedSeq) return;
    this.decrease(entry, kind, limits, 'throttled');
  }

  /**
   * A take found a block in force, until `until` at least. Outside this replica's own hold, it is another
   * replica's 429: it holds here too, and lowers this replica's limit of the take's kind, at most once a window.
   */
  blockSeen(identity: QuotaIdentity, kind: QuotaKind, limits: QuotaLimits, until: number): void {
    const now = this.options.now();
    this.limitsFor(identity, kind, limits);
    const entry = this.entry(identity);
    const own = now < entry.holdUntil + OWN_HOLD_SLACK_MS;
    this.hold(identity, until, limits.windowMs);
    if (own) return;
    const adaptive = this.adaptiveOf(entry, kind, limits);
    const quiet = now - adaptive.signalAt >= limits.windowMs;
    adaptive.signalAt = now;
    if (quiet) this.decrease(entry, kind, limits, 'block');
  }

  /**
   * Whether a take may go now. In the release after a hold it books what is left of the current step, or starts
   * the next step when its time has come; otherwise it waits for that time.
   */
  release(identity: QuotaIdentity, kind: QuotaKind, limits: QuotaLimits): Release {
    if (this.entries.size === 0) return GO;
    const entry = this.entries.get(keyOf(identity));
    const now = this.options.now();
    if (!entry || now < entry.holdUntil || now >= entry.releaseUntil) return GO;
    if (entry.stepLeft === 0) {
      if (now < entry.nextAt) return { waitUntil: entry.nextAt, max: 0 };
      const limit = kind === 'write' ? limits.appWrites : limits.appCalls;
      entry.stepLeft = releaseStep(limit);
      entry.nextAt = nextRelease(now, releaseGap(limits.windowMs, limit), this.options.random());
    }
    const max = entry.stepLeft;
    entry.stepLeft = 0;
    return { waitUntil: 0, max };
  }

  /** A take booked `count` calls of a step it did not use (the store had less room, or it asked for less). */
  unused(identity: QuotaIdentity, count: number): void {
    const entry = this.entries.get(keyOf(identity));
    if (entry && count > 0 && Number.isFinite(count)) entry.stepLeft += count;
  }

  private entry(identity: QuotaIdentity): Pressure {
    const key = keyOf(identity);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { identity, adaptive: {}, holdUntil: 0, releaseUntil: 0, nextAt: 0, stepLeft: 0 };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private adaptiveOf(entry: Pressure, kind: QuotaKind, limits: QuotaLimits): Adaptive {
    return (entry.adaptive[kind] ??= fresh(limits[ADAPTED[kind]]));
  }

  private decrease(entry: Pressure, kind: QuotaKind, limits: QuotaLimits, cause: Cause): void {
    const adaptive = this.adaptiveOf(entry, kind, limits);
    adaptive.limit = decreasedLimit(adaptive.limit);
    this.decreases += 1;
    adaptive.decreasedSeq = this.decreases;
    adaptive.signalAt = this.options.now();
    this.changed(entry, kind, limits[ADAPTED[kind]], cause, adaptive.limit);
  }

  /** Whole windows without a 429 since the last change raise the limit; back at the configured one, it goes. */
  private raise(entry: Pressure, limits: QuotaLimits): void {
    const now = this.options.now();
    for (const kind of KINDS) {
      const adaptive = entry.adaptive[kind];
      if (!adaptive) continue;
      const since = Math.max(adaptive.signalAt, adaptive.raisedAt);
      const quiet = Math.floor((now - since) / limits.windowMs);
      if (quiet < 1) continue;
      const base = limits[ADAPTED[kind]];
      adaptive.raisedAt = since + quiet * limits.windowMs;
      adaptive.limit = raisedLimit(adaptive.limit, base, quiet);
      if (adaptive.limit >= base) delete entry.adaptive[kind];
      this.changed(entry, kind, base, 'raised', adaptive.limit);
    }
    if (!entry.adaptive.write && !entry.adaptive.read && now >= entry.releaseUntil)
      this.entries.delete(keyOf(entry.identity));
  }

  /** Once a window, every entry is brought up to date, so limits rise (and entries go) without traffic of their own. */
  private sweep(limits: QuotaLimits): void {
    const now = this.options.now();
    if (this.entries.size === 0 || now - this.lastSweep < limits.windowMs) return;
    this.lastSweep = now;
    for (const entry of [...this.entries.values()]) this.raise(entry, limits);
  }

  private changed(
    entry: Pressure,
    kind: QuotaKind,
    base: number,
    cause: Cause,
    limit: number,
  ): void {
    let lowest = base;
    let lowered = 0;
    for (const other of this.entries.values()) {
      const adaptive = other.adaptive[kind];
      if (!adaptive || adaptive.limit >= base) continue;
      lowered += 1;
      lowest = Math.min(lowest, adaptive.limit);
    }
    const { tenant, app } = entry.identity;
    this.options.hooks.limitChanged?.({ tenant, app, kind, limit, base, cause, lowest, lowered });
  }

  private loweredLimits(limits: QuotaLimits, appWrites: number, appCalls: number): QuotaLimits {
    let byValue = this.lowered.get(limits);
    if (!byValue) this.lowered.set(limits, (byValue = new Map<string, QuotaLimits>()));
    const key = `${appWrites}/${appCalls}`;
    let lowered = byValue.get(key);
    if (!lowered) byValue.set(key, (lowered = Object.freeze({ ...limits, appWrites, appCalls })));
    return lowered;
  }
}

const keyOf = (identity: QuotaIdentity) => `${identity.tenant}\n${identity.app}`;
