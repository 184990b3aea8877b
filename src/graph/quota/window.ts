/**
 * Exact sliding-window arithmetic, pure: the clock is a parameter. A call recorded at `t` counts against its
 * window while `now - t < windowMs` and frees its unit at `t + windowMs`, so no interval of `windowMs` ever holds
 * more than `limit` recorded calls. A fixed window would allow twice the limit across a window boundary.
 */

/** One window's log: recorded times in ascending order; entries before `start` are already pruned. */
export interface WindowLog {
  readonly stamps: readonly number[];
  readonly start: number;
  readonly limit: number;
}

export interface TakePlan {
  /** Calls that fit every window now, at most `max` (0 when blocked or a window is full). */
  readonly granted: number;
  /** When `granted` is 0: how long until one call fits every window and any block has passed. */
  readonly waitMs: number;
}

/** Index of the first entry of `stamps` (from `start`) that still counts at `now`. */
export function firstLive(
  stamps: readonly number[],
  start: number,
  now: number,
  windowMs: number,
): number {
  const expiredUpTo = now - windowMs;
  let low = start;
  let high = stamps.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (stamps[middle]! <= expiredUpTo) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * How long until one more call fits a window whose live entries are `stamps[first…]`: 0 when there is room,
 * otherwise until the entry whose expiry leaves `limit - 1` live ones frees its unit.
 */
export function waitForRoom(
  stamps: readonly number[],
  first: number,
  limit: number,
  windowMs: number,
  now: number,
): number {
  const live = stamps.length - first;
  if (live < limit) return 0;
  if (limit <= 0) return Number.POSITIVE_INFINITY;
  const freeing = stamps[first + live - limit]!;
  return Math.max(0, freeing + windowMs - now);
}

/**
 * What a take may have now: every window must have room for at least one call, and no block may be in force.
 * Grants `min(max, room in the fullest window)`; otherwise says how long until the last obstacle clears.
 */
export function planTake(
  windows: readonly WindowLog[],
  now: number,
  windowMs: number,
  max: number,
  blockedUntil: number,
): TakePlan {
  let granted = Math.max(0, Math.floor(max));
  let waitMs = Math.max(0, blockedUntil - now);
  for (const window of windows) {
    const first = firstLive(window.stamps, window.start, now, windowMs);
    const room = window.limit - (window.stamps.length - first);
    granted = Math.min(granted, Math.max(0, room));
    waitMs = Math.max(waitMs, waitForRoom(window.stamps, first, window.limit, windowMs, now));
  }
  if (waitMs > 0 || granted === 0) return { granted: 0, waitMs };
  return { granted, waitMs: 0 };
}

/** Why a take got nothing: a block in force, and the windows (by index) with no room for one more call. */
export interface Shortage {
  readonly blocked: boolean;
  readonly full: readonly number[];
}

/**
 * What a take that `planTake` refused was short of. Computed only then (waits are rare): the pacer queues later
 * takes that need one of these behind it, and lets those that need none of them pass.
 */
export function shortage(
  windows: readonly WindowLog[],
  now: number,
  windowMs: number,
  blockedUntil: number,
): Shortage {
  const full: number[] = [];
  windows.forEach((window, index) => {
    const first = firstLive(window.stamps, window.start, now, windowMs);
    if (window.stamps.length - first >= window.limit) full.push(index);
  });
  return { blocked: blockedUntil > now, full };
}

/** What a replica last saw of one shared window, in an answer from the shared store. */
export interface WindowSighting {
  /** The replica's clock when the answer arrived: every entry the store counted was made before it. */
  readonly at: number;
  /** Live entries in the window after that take, every replica's. */
  readonly count: number;
  /** This replica's own live entries at that moment (its mirror), a part of `count`. */
  readonly own: number;
}

export interface FallbackLimitInput {
  /** The window's limit, shared by every replica. */
  readonly limit: number;
  readonly replicas: number;
  readonly windowMs: number;
  /** When this replica lost the shared store (its clock). */
  readonly since: number;
  readonly now: number;
  readonly sighting: WindowSighting | undefined;
}

export interface FallbackLimit {
  /**
   * The limit this replica applies in-process to the window, counting its own live entries (mirrored shared
   * grants and in-process ones) against it.
   */
  readonly limit: number;
  /** Until when this limit holds; from then on, the share of a window that no other replica's entry is in. */
  readonly until: number;
}

/** One replica's part of a limit: rounded down, so that the replicas stay under it together, but at least 1. */
export function shareOf(limit: number, replicas: number): number {
  return Math.max(1, Math.floor(limit / Math.max(1, replicas)));
}

/**
 * The limit a replica applies to one window while it cannot reach the shared store (docs/quotas.md, "Redis
 * outages"). Two rules, the smaller wins while the window it last saw may still hold other replicas' entries:
 *
 * - **Its share**, `limit ÷ replicas`, its own live entries counted: once every entry made before the outage has
 *   expired, each replica sees only its own, so the replicas together stay within the limit.
 * - **Its share of what was left**, `(limit − count) ÷ replicas`, as it last saw the window: its own entries that
 *   have expired since are credited back (the window lost them too); the others' are taken to live until one
 *   window after the sighting (they were made before it).
 *
 * A window it has not seen within one window before the outage may hold anything: with other replicas, it waits
 * out one window from the outage (limit 0), then paces to its share. With one replica its own entries are all.
 */
export function fallbackLimit(input: FallbackLimitInput): FallbackLimit {
  const { limit, replicas, windowMs, since, now } = input;
  const share = shareOf(limit, replicas);
  const seen = input.sighting && input.sighting.at + windowMs > since ? input.sighting : undefined;
  const until = (seen?.at ?? since) + windowMs;
  if (now >= until) return { limit: share, until: now };
  const count = seen?.count ?? (replicas > 1 ? limit : 0);
  const left = Math.floor(Math.max(0, limit - count) / Math.max(1, replicas));
  return { limit: Math.min(share, left + (seen?.own ?? 0)), until };
}
