import type { QuotaCall } from '../../emulator';

/**
 * Intune's count, kept by the tests themselves: every call that reached the limits counts in its window, refused
 * (429) ones too, whether or not the emulator counts them yet. A call is over the limit when it arrives while the
 * calls of the last `windowMs` already number `limit` or more.
 */
export function overLimit(
  calls: readonly QuotaCall[],
  windowMs: number,
  limit: number,
): QuotaCall[] {
  const sorted = [...calls].sort((a, b) => a.at - b.at);
  const over: QuotaCall[] = [];
  let first = 0;
  sorted.forEach((call, index) => {
    while (sorted[first]!.at + windowMs <= call.at) first += 1;
    if (index - first >= limit) over.push(call);
  });
  return over;
}

/**
 * When a window that was full at `at` has room again if nothing more arrives: the calls of the last `windowMs`
 * (refused ones too) must drop below `limit`, so the one that leaves that many behind must expire.
 */
export function windowFreesAt(
  calls: readonly QuotaCall[],
  windowMs: number,
  limit: number,
  at: number,
): number {
  const live = calls
    .filter((call) => call.at <= at && call.at + windowMs > at)
    .map((call) => call.at)
    .sort((a, b) => a - b);
  if (live.length < limit) return at;
  return live[live.length - limit]! + windowMs;
}

/** Answered 429 (a quota refusal, or a throttling fault). */
export const isThrottled = (call: QuotaCall) => call.refused || call.status === 429;
