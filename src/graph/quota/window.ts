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
