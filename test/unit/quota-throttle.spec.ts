import {
  decreasedLimit,
  holdFor,
  increaseStep,
  nextRelease,
  raisedLimit,
  releaseGap,
  releaseStep,
  ThrottleBook,
} from '../../src/graph/quota';
import type { QuotaLimitChange, QuotaLimits } from '../../src/graph/quota';
import { A, A2 } from '../helpers/quota';

/**
 * The pacer's answer to Graph's 429s (src/graph/quota/throttle.ts): holds, the release after a hold, and the
 * adaptive limit. Pure arithmetic and a book driven by an injected clock and random numbers: every value is exact.
 */
const LIMITS: QuotaLimits = Object.freeze({
  windowMs: 1_000,
  appWrites: 10,
  tenantWrites: 20,
  appCalls: 40,
  tenantCalls: 80,
});

describe('holdFor: how long a 429 holds', () => {
  it.each<[string, number | undefined, number, number, number]>([
    // name, Retry-After in ms, window, cap, hold
    ['without Retry-After: a whole window', undefined, 20_000, 300_000, 20_000],
    ["Graph's Retry-After as it is", 5_000, 20_000, 300_000, 5_000],
    [
      'a day (Retry-After: 1e20, clamped when read) is capped',
      86_400_000,
      20_000,
      300_000,
      300_000,
    ],
    ['an infinite one is capped', Infinity, 20_000, 300_000, 300_000],
    ['an unreadable one: a whole window', NaN, 20_000, 300_000, 20_000],
    ['a negative one holds nothing', -5, 20_000, 300_000, 0],
    ['the cap applies to the window too', undefined, 20_000, 10_000, 10_000],
  ])('%s', (_name, retryAfterMs, windowMs, cap, hold) => {
    expect(holdFor(retryAfterMs, windowMs, cap)).toBe(hold);
  });
});

describe('the adaptive limit: multiplicative decrease, additive increase', () => {
  it.each([
    [100, 50],
    [7, 3],
    [2, 1],
    [1, 1],
  ])('a 429 lowers %i to %i', (limit, lowered) => {
    expect(decreasedLimit(limit)).toBe(lowered);
  });

  it.each([
    [100, 5],
    [1_000, 50],
    [30, 2],
    [10, 1],
    [1, 1],
  ])('each quiet window gives back 5 %% of %i, at least 1: %i', (base, step) => {
    expect(increaseStep(base)).toBe(step);
  });

  it.each([
    // limit, configured, quiet windows, raised
    [50, 100, 1, 55],
    [50, 100, 20, 100],
    [3, 10, 2, 5],
    [9, 10, 5, 10],
    [5, 10, 0, 5],
  ])('%i of %i after %i quiet windows: %i', (limit, base, quiet, raised) => {
    expect(raisedLimit(limit, base, quiet)).toBe(raised);
  });
});

describe('the release after a hold: steps of a tenth of the limit, at its pace, with jitter', () => {
  it.each([
    [100, 10],
    [1_000, 100],
    [15, 2],
    [10, 1],
    [1, 1],
    [0, 1],
  ])('a limit of %i: steps of %i calls', (limit, step) => {
    expect(releaseStep(limit)).toBe(step);
  });

  it.each([
    [20_000, 100, 2_000],
    [1_500, 30, 150],
    [1_500, 15, 200],
    [1_000, 10, 100],
    [1_000, 0, 1_000],
  ])('a window of %i ms and a limit of %i: a step every %i ms', (windowMs, limit, gap) => {
    expect(releaseGap(windowMs, limit)).toBe(gap);
  });

  it.each([
    // after, gap, random, next
    [1_000, 200, 0, 1_100],
    [1_000, 200, 0.5, 1_200],
    [1_000, 200, 0.999, 1_299],
    [1_000, 1, 0, 1_001],
  ])(
    'after a call at %i with a gap of %i and random %d: the next at %i',
    (at, gap, random, next) => {
      expect(nextRelease(at, gap, random)).toBe(next);
    },
  );
});

/** A book on a fake clock; `randoms` are handed out in order; every change of a limit is kept. */
function setup(randoms: number[] = []) {
  const clock = { now: 0 };
  const changes: QuotaLimitChange[] = [];
  const book = new ThrottleBook({
    now: () => clock.now,
    random: () => randoms.shift() ?? 0,
    hooks: { limitChanged: (change) => changes.push(change) },
  });
  const at = (now: number) => ((clock.now = now), book);
  const shown = () =>
    changes.map(({ kind, limit, cause, lowest, lowered }) => [kind, limit, cause, lowest, lowered]);
  return { clock, book, at, changes, shown };
}

describe('ThrottleBook', () => {
  it('halves on a 429, once per storm, and raises back a step per quiet window', () => {
    const { at, book, shown, changes } = setup();
    expect(at(0).limitsFor(A, 'write', LIMITS)).toBe(LIMITS);
    const before = book.sequence;
    at(0).throttled(A, 'write', LIMITS, before);
    expect(at(0).limitsFor(A, 'write', LIMITS)).toMatchObject({ appWrites: 5, appCalls: 40 });
    // Granted before the decrease: the same storm, no second decrease.
    at(20).throttled(A, 'write', LIMITS, before);
    // Granted after it: the lowered limit was still too high.
    at(100).throttled(A, 'write', LIMITS, book.sequence);
    expect(at(1_099).limitsFor(A, 'write', LIMITS).appWrites).toBe(2);
    expect(at(1_100).limitsFor(A, 'write', LIMITS).appWrites).toBe(3);
    expect(at(3_100).limitsFor(A, 'write', LIMITS).appWrites).toBe(5);
    // Another app of the tenant keeps its own limit.
    expect(at(3_100).limitsFor(A2, 'write', LIMITS)).toBe(LIMITS);
    expect(at(8_100).limitsFor(A, 'write', LIMITS)).toBe(LIMITS);
    expect(shown()).toEqual([
      ['write', 5, 'throttled', 5, 1],
      ['write', 2, 'throttled', 2, 1],
      ['write', 3, 'raised', 3, 1],
      ['write', 5, 'raised', 5, 1],
      ['write', 10, 'raised', 10, 0],
    ]);
    expect(changes[0]).toMatchObject({ tenant: A.tenant, app: A.app, base: 10 });
  });

  it('a read 429 lowers the app calls limit; the same lowered value is the same limits object', () => {
    const { at } = setup();
    at(0).throttled(A, 'read', LIMITS, 0);
    at(0).throttled(A2, 'read', LIMITS, 0);
    const lowered = at(0).limitsFor(A, 'read', LIMITS);
    expect(lowered).toMatchObject({ appWrites: 10, appCalls: 20, windowMs: 1_000 });
    expect(at(0).limitsFor(A2, 'write', LIMITS)).toBe(lowered);
  });

  it("another replica's block lowers the limit once a window, not for each sighting", () => {
    const { at, shown } = setup();
    at(0).blockSeen(A, 'write', LIMITS, 500);
    at(200).blockSeen(A, 'write', LIMITS, 500);
    // A new block, less than a window after the first sighting.
    at(1_100).blockSeen(A, 'write', LIMITS, 1_200);
    // Another, a window after the last sighting (which restarted the count of quiet windows).
    at(2_100).blockSeen(A, 'write', LIMITS, 2_300);
    expect(shown()).toEqual([
      ['write', 5, 'block', 5, 1],
      ['write', 6, 'raised', 6, 1],
      ['write', 3, 'block', 3, 1],
    ]);
  });

  it("its own hold, seen in the store while it lasts or just after, is not another replica's", () => {
    const { at, shown } = setup();
    at(0).throttled(A, 'write', LIMITS, 0);
    at(0).hold(A, 1_000, LIMITS.windowMs);
    at(600).blockSeen(A, 'write', LIMITS, 1_000);
    at(1_499).blockSeen(A, 'write', LIMITS, 1_500);
    expect(shown()).toEqual([
      ['write', 5, 'throttled', 5, 1],
      ['write', 6, 'raised', 6, 1],
    ]);
    at(2_100).blockSeen(A, 'write', LIMITS, 2_300);
    expect(shown().slice(2)).toEqual([
      ['write', 7, 'raised', 7, 1],
      ['write', 3, 'block', 3, 1],
    ]);
  });

  it('after a hold: one step at once, then one per gap with jitter, for one window', () => {
    const { at } = setup([0, 0.5, 0.999]);
    const release = (now: number) => at(now).release(A, 'write', LIMITS);
    at(0).hold(A, 1_000, LIMITS.windowMs);
    // During the hold the store's block refuses: nothing to add.
    expect(release(500)).toEqual({ waitUntil: 0, max: Infinity });
    expect(release(1_000)).toEqual({ waitUntil: 0, max: 1 });
    expect(release(1_000)).toEqual({ waitUntil: 1_050, max: 0 });
    expect(release(1_050)).toEqual({ waitUntil: 0, max: 1 });
    expect(release(1_100)).toEqual({ waitUntil: 1_150, max: 0 });
    expect(release(1_150)).toEqual({ waitUntil: 0, max: 1 });
    expect(release(1_298)).toEqual({ waitUntil: 1_299, max: 0 });
    expect(release(2_000)).toEqual({ waitUntil: 0, max: Infinity });
    // Another app of the tenant was never held.
    expect(at(1_000).release(A2, 'write', LIMITS)).toEqual({ waitUntil: 0, max: Infinity });
  });

  it('the step and the gap follow the lowered limit and the kind', () => {
    const { at } = setup([0, 0]);
    at(0).throttled(A, 'write', LIMITS, 0);
    at(0).hold(A, 500, LIMITS.windowMs);
    const lowered = at(500).limitsFor(A, 'write', LIMITS);
    expect(lowered.appWrites).toBe(5);
    expect(at(500).release(A, 'write', lowered)).toEqual({ waitUntil: 0, max: 1 });
    // Five writes a window: one every 200 ms, half of it with random 0.
    expect(at(500).release(A, 'write', lowered)).toEqual({ waitUntil: 600, max: 0 });
    // Forty calls a window: steps of 4 every 100 ms, 50 with random 0.
    expect(at(600).release(A, 'read', lowered)).toEqual({ waitUntil: 0, max: 4 });
    expect(at(600).release(A, 'read', lowered)).toEqual({ waitUntil: 650, max: 0 });
  });

  it('what a take booked and did not use goes to the next take of the same step', () => {
    const { at, book } = setup([0]);
    const intune = { ...LIMITS, windowMs: 20_000, appWrites: 100 };
    at(0).hold(A, 1_000, intune.windowMs);
    expect(at(1_000).release(A, 'write', intune)).toEqual({ waitUntil: 0, max: 10 });
    book.unused(A, 7);
    expect(at(1_000).release(A, 'write', intune)).toEqual({ waitUntil: 0, max: 7 });
    expect(at(1_000).release(A, 'write', intune)).toEqual({ waitUntil: 2_000, max: 0 });
  });

  it('forgets a tenant and app once its limit is back and its release over', () => {
    const { at, book } = setup();
    at(0).throttled(A, 'write', LIMITS, 0);
    at(0).hold(A2, 500, LIMITS.windowMs);
    expect(book.size).toBe(2);
    expect(at(1_499).limitsFor(A2, 'write', LIMITS)).toBe(LIMITS);
    expect(book.size).toBe(2);
    expect(at(20_000).limitsFor(A, 'write', LIMITS)).toBe(LIMITS);
    expect(book.size).toBe(0);
  });
});
