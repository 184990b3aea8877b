/**
 * The throttle's numbers, pure (throttle.ts says why each is what it is): how long a 429 holds, how the adaptive
 * limit falls and rises, and the pace of the release after a hold. https://learn.microsoft.com/graph/throttling
 */

/** GRAPH_QUOTA_MAX_HOLD_MS's default: five minutes, far above Intune's 20 s window. */
export const DEFAULT_MAX_HOLD_MS = 300_000;
/** A 429 leaves this part of the limit. */
export const DECREASE_FACTOR = 0.5;
/** Each window without a 429 gives back this part of the configured limit. */
export const INCREASE_SHARE = 0.05;

/** How long a 429 holds its tenant and app: its `Retry-After`, or a whole window without one; capped. */
export function holdFor(
  retryAfterMs: number | undefined,
  windowMs: number,
  maxHoldMs: number,
): number {
  const wanted =
    retryAfterMs === undefined || Number.isNaN(retryAfterMs) ? windowMs : Math.max(0, retryAfterMs);
  return Math.min(wanted, maxHoldMs);
}

/** The limit after a 429 (never below 1). */
export const decreasedLimit = (limit: number) => Math.max(1, Math.floor(limit * DECREASE_FACTOR));

/** What each window without a 429 adds back. */
export const increaseStep = (base: number) => Math.max(1, Math.ceil(base * INCREASE_SHARE));

/** The limit after `quietWindows` whole windows without a 429, never above the configured one. */
export function raisedLimit(limit: number, base: number, quietWindows: number): number {
  return Math.min(base, limit + Math.max(0, quietWindows) * increaseStep(base));
}

/** Each step of the release after a hold lets out this part of the limit. */
export const RELEASE_SHARE = 0.1;

/** Calls one step of the release lets out: a tenth of the limit, at least 1. */
export const releaseStep = (limit: number) =>
  Math.max(1, Math.ceil(Math.max(1, limit) * RELEASE_SHARE));

/** The time between steps that keeps to the limit's pace: `step` calls every `windowMs × step / limit`. */
export const releaseGap = (windowMs: number, limit: number) =>
  (windowMs * releaseStep(limit)) / Math.max(1, limit);

/** When the next step may go after one went at `at`: half a gap to one and a half gaps later, at least 1 ms. */
export const nextRelease = (at: number, gap: number, random: number) =>
  at + Math.max(1, Math.floor(gap * (0.5 + random)));
