import {
  fallbackLimit,
  firstLive,
  planTake,
  shareOf,
  shortage,
  waitForRoom,
} from '../../src/graph/quota/window';
import type { TakePlan, WindowLog } from '../../src/graph/quota/window';

const WINDOW = 1_000;

describe('firstLive', () => {
  it.each<[string, number[], number, number, number]>([
    // name, stamps, start, now, expected index
    ['empty log', [], 0, 5_000, 0],
    ['all live', [4_100, 4_500, 4_999], 0, 5_000, 0],
    ['an entry exactly one window old has expired', [4_000, 4_001], 0, 5_000, 1],
    ['all expired', [1_000, 2_000, 3_999], 0, 5_000, 3],
    ['search starts at start', [4_500, 4_600, 4_700], 2, 5_000, 2],
    ['duplicates expire together', [3_900, 4_000, 4_000, 4_000, 4_001], 0, 5_000, 4],
  ])('%s', (_name, stamps, start, now, expected) => {
    expect(firstLive(stamps, start, now, WINDOW)).toBe(expected);
  });
});

describe('waitForRoom', () => {
  it.each<[string, number[], number, number, number]>([
    // name, live stamps, limit, now, expected wait
    ['room left', [4_100, 4_200], 3, 5_000, 0],
    ['full: waits for the oldest to expire', [4_100, 4_200, 4_300], 3, 5_000, 100],
    [
      'over the limit (limit lowered): waits until limit - 1 are left',
      [4_100, 4_200, 4_300, 4_400],
      2,
      5_000,
      300,
    ],
    ['same-time entries free together', [4_250, 4_250, 4_250], 3, 5_000, 250],
    ['the oldest frees exactly now: no wait', [4_000.5, 4_999], 2, 5_000.5, 0],
    ['a zero limit never has room', [], 0, 5_000, Number.POSITIVE_INFINITY],
  ])('%s', (_name, stamps, limit, now, expected) => {
    expect(waitForRoom(stamps, 0, limit, WINDOW, now)).toBe(expected);
  });
});

const log = (limit: number, stamps: number[], start = 0): WindowLog => ({ stamps, start, limit });

describe('planTake', () => {
  it.each<[string, WindowLog[], number, number, number, TakePlan]>([
    // name, windows, now, max, blocked until, plan
    ['empty windows grant max', [log(5, []), log(10, [])], 5_000, 3, 0, { granted: 3, waitMs: 0 }],
    [
      'the fullest window bounds the grant',
      [log(5, [4_500, 4_600]), log(10, [])],
      5_000,
      20,
      0,
      { granted: 3, waitMs: 0 },
    ],
    [
      'the tenant window can be the bound',
      [log(5, []), log(4, [4_100, 4_200, 4_300])],
      5_000,
      3,
      0,
      { granted: 1, waitMs: 0 },
    ],
    [
      'expired entries do not count',
      [log(2, [3_000, 3_500, 4_000])],
      5_000,
      5,
      0,
      { granted: 2, waitMs: 0 },
    ],
    [
      'one full window: wait for it',
      [log(2, [4_400, 4_700]), log(10, [4_400, 4_700])],
      5_000,
      1,
      0,
      { granted: 0, waitMs: 400 },
    ],
    [
      'two full windows: wait for the later',
      [log(2, [4_400, 4_700]), log(3, [4_600, 4_800, 4_900])],
      5_000,
      1,
      0,
      { granted: 0, waitMs: 600 },
    ],
    ['a block holds even with room', [log(5, [])], 5_000, 1, 7_500, { granted: 0, waitMs: 2_500 }],
    [
      'a block shorter than the window wait',
      [log(1, [4_900])],
      5_000,
      1,
      5_200,
      { granted: 0, waitMs: 900 },
    ],
    [
      'a block that has passed is ignored',
      [log(5, [])],
      5_000,
      2,
      4_999,
      { granted: 2, waitMs: 0 },
    ],
    ['fractional max is floored', [log(5, [])], 5_000, 2.9, 0, { granted: 2, waitMs: 0 }],
    [
      'pruned prefix (start) is skipped',
      [log(2, [1, 2, 4_900], 2)],
      5_000,
      5,
      0,
      { granted: 1, waitMs: 0 },
    ],
  ])('%s', (_name, windows, now, max, blockedUntil, expected) => {
    expect(planTake(windows, now, WINDOW, max, blockedUntil)).toEqual(expected);
  });

  it('never lets any window of WINDOW ms hold more than the limit (fake clock, 5 000 steps)', () => {
    const stamps: number[] = [];
    const limit = 7;
    let now = 0;
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const stuck: number[] = [];
    for (let step = 0; step < 5_000; step += 1) {
      now += Math.floor(random() * 120);
      const plan = planTake([log(limit, stamps)], now, WINDOW, 1 + Math.floor(random() * 4), 0);
      for (let i = 0; i < plan.granted; i += 1) stamps.push(now);
      if (plan.granted === 0 && plan.waitMs <= 0) stuck.push(now);
    }
    const crowded = stamps.filter(
      (stamp, i) => i + limit < stamps.length && stamps[i + limit]! - stamp < WINDOW,
    );
    expect({ stuck, crowded }).toEqual({ stuck: [], crowded: [] });
    expect(stamps.length).toBeGreaterThan(limit * 100);
  });
});

describe('shortage: what a take that got nothing was short of', () => {
  it.each<[string, WindowLog[], number, { blocked: boolean; full: number[] }]>([
    // name, windows, blocked until, shortage at 5 000
    [
      'the full window, by index',
      [log(5, []), log(2, [4_400, 4_700])],
      0,
      { blocked: false, full: [1] },
    ],
    [
      'every full window',
      [log(2, [4_400, 4_700]), log(2, [4_500, 4_600])],
      0,
      { blocked: false, full: [0, 1] },
    ],
    ['expired entries do not fill it', [log(2, [3_000, 4_700])], 0, { blocked: false, full: [] }],
    ['a block in force', [log(5, [])], 5_001, { blocked: true, full: [] }],
    ['a block that has passed', [log(1, [4_900])], 5_000, { blocked: false, full: [0] }],
  ])('%s', (_name, windows, blockedUntil, expected) => {
    expect(shortage(windows, 5_000, WINDOW, blockedUntil)).toEqual(expected);
  });
});

describe('fallbackLimit: what one replica may hold in a window while Redis cannot be reached', () => {
  // Intune's 100 writes per app, three replicas, a window of 20 s; the outage began at 100 s.
  const base = { limit: 100, replicas: 3, windowMs: 20_000, since: 100_000 };
  it.each<[string, number, [number, number, number] | null, number, number]>([
    // name, now, sighting [at, count, own] or none, expected limit, expected until
    ['an empty window seen just before: its share', 100_000, [99_000, 0, 0], 33, 119_000],
    [
      'the issue: A sent 70, B 30 (B saw 100): nothing more for B until the window passes',
      100_000,
      [99_000, 100, 30],
      30,
      119_000,
    ],
    [
      'B sent 3, others 24: a third of the 73 left, plus its own 3',
      100_000,
      [99_000, 27, 3],
      27,
      119_000,
    ],
    ['its own share caps the rest', 100_000, [99_000, 10, 10], 33, 119_000],
    ['over the limit as seen: its own entries only', 100_000, [99_000, 120, 50], 33, 119_000],
    ['one window after the sighting: its share', 119_000, [99_000, 100, 30], 33, 119_000],
    ['not seen: it waits out one window from the outage', 100_000, null, 0, 120_000],
    ['not seen, one window into the outage: its share', 120_000, null, 33, 120_000],
    [
      'seen a window before the outage began counts as not seen',
      100_000,
      [80_000, 0, 0],
      0,
      120_000,
    ],
  ])('%s', (_name, now, seen, limit, until) => {
    const sighting = seen ? { at: seen[0], count: seen[1], own: seen[2] } : undefined;
    expect(fallbackLimit({ ...base, now, sighting })).toEqual({ limit, until });
  });

  it.each<[string, [number, number, number] | null, number]>([
    // name, sighting [at, count, own] or none, expected limit: one replica has nobody to leave room for
    ['not seen: the whole limit', null, 100],
    ['seen at 60 of which 60 its own: the whole limit', [99_000, 60, 60], 100],
    [
      'seen at 60 of which 20 its own (more replicas than configured): 40 + 20',
      [99_000, 60, 20],
      60,
    ],
  ])('one replica, %s', (_name, seen, limit) => {
    const sighting = seen ? { at: seen[0], count: seen[1], own: seen[2] } : undefined;
    expect(fallbackLimit({ ...base, replicas: 1, now: 100_000, sighting }).limit).toBe(limit);
  });

  it.each<[number, number, number]>([
    [100, 1, 100],
    [100, 3, 33],
    [2, 3, 1],
    [100, 0, 100],
  ])('shareOf(%i, %i replicas) = %i, never 0', (limit, replicas, share) => {
    expect(shareOf(limit, replicas)).toBe(share);
  });
});
