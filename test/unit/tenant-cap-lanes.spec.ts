import { abortableSleep } from '../../src/graph/quota/types';
import { createOperationScope } from '../../src/graph/client/operation';
import type { OperationScope } from '../../src/graph/client/operation';
import { systemClock } from '../../src/graph/client/retry-loop';
import { TenantLanes } from '../../src/graph/tenant-cap/lanes';
import type { EnterOutcome } from '../../src/graph/tenant-cap/lanes';
import type { Lane, LaneKind } from '../../src/graph/tenant-cap/policy';

/**
 * The tenant cap's lanes (src/graph/tenant-cap/lanes.ts): places per lane, waits first come, first served, ended by
 * a place, the deadline or the caller. Jest's fake clock and timers: every time is exact, nothing waits.
 */
const T0 = 80_000;

const lane = (key: string, places: number, kind: LaneKind = 'tenant'): Lane => ({
  key,
  places,
  kind,
});
const A = lane('tenant:a', 2);
const B = lane('tenant:b', 2);
const ONE = lane('unproven:a', 1, 'unproven');
const ALL = lane('unproven', 2, 'unproven');

const newOperation = () => createOperationScope({ deadline: Infinity, clock: systemClock });

function setup() {
  jest.useFakeTimers({ now: T0 });
  const counts: string[] = [];
  const lanes = new TenantLanes({
    now: Date.now,
    sleep: abortableSleep,
    hooks: {
      waiting: (kind, change) => counts.push(`${kind} ${change > 0 ? '+1' : '-1'}`),
      refused: (kind) => counts.push(`${kind} refused`),
    },
  });
  const ended: string[] = [];
  /** Enters `name` into `into`; records `name outcome at ms-since-T0` when it ends. */
  const enter = (
    name: string,
    into: readonly Lane[],
    {
      deadlineIn = 30_000,
      operation = newOperation(),
      ahead = false,
    }: { deadlineIn?: number; operation?: OperationScope; ahead?: boolean } = {},
  ): Promise<EnterOutcome> => {
    if (lanes.tryEnter(into)) {
      ended.push(`${name} entered at once`);
      return Promise.resolve('entered');
    }
    return lanes.enter(into, Date.now() + deadlineIn, operation, ahead).then((outcome) => {
      ended.push(`${name} ${outcome} at ${Date.now() - T0}`);
      return outcome;
    });
  };
  const stats = () => Object.fromEntries(lanes.stats());
  return { lanes, enter, ended, counts, stats };
}

afterEach(() => jest.useRealTimers());

describe('places in one lane', () => {
  it('under the cap a call enters at once; over it, calls wait and enter in arrival order as places free', async () => {
    const { lanes, enter, ended, stats } = setup();
    await enter('a1', [A]);
    await enter('a2', [A]);
    const waits = [enter('a3', [A]), enter('a4', [A])];
    expect(stats()).toEqual({ 'tenant:a': { inUse: 2, waiting: 2 } });
    await jest.advanceTimersByTimeAsync(100);
    lanes.leave([A]);
    await jest.advanceTimersByTimeAsync(50);
    lanes.leave([A]);
    await Promise.all(waits);
    expect(ended).toEqual([
      'a1 entered at once',
      'a2 entered at once',
      'a3 entered at 100',
      'a4 entered at 150',
    ]);
    // The places passed on: still two in use, nobody waiting.
    expect(stats()).toEqual({ 'tenant:a': { inUse: 2, waiting: 0 } });
  });

  it('a continuation (the read-back of an applied write) waits ahead of the other calls, continuations in turn', async () => {
    const { lanes, enter, ended, stats } = setup();
    await enter('a1', [A]);
    await enter('a2', [A]);
    const waits = [
      enter('a3', [A]),
      enter('back1', [A], { ahead: true }),
      enter('a4', [A]),
      enter('back2', [A], { ahead: true }),
    ];
    expect(stats()).toEqual({ 'tenant:a': { inUse: 2, waiting: 4 } });
    for (const ms of [100, 200, 300, 400]) {
      await jest.advanceTimersByTimeAsync(100);
      lanes.leave([A]);
      await jest.advanceTimersByTimeAsync(0);
      expect(ended.at(-1)).toMatch(new RegExp(` at ${ms}$`));
    }
    await Promise.all(waits);
    // Before: in arrival order, back1 at 200 behind a3, back2 at 400 behind a4.
    expect(ended.slice(2)).toEqual([
      'back1 entered at 100',
      'back2 entered at 200',
      'a3 entered at 300',
      'a4 entered at 400',
    ]);
    expect(stats()).toEqual({ 'tenant:a': { inUse: 2, waiting: 0 } });
  });

  it('another lane is not held by a full one', async () => {
    const { enter, ended } = setup();
    await enter('a1', [A]);
    await enter('a2', [A]);
    void enter('a3', [A]);
    await enter('b1', [B]);
    expect(ended).toEqual(['a1 entered at once', 'a2 entered at once', 'b1 entered at once']);
  });

  it('a freed place goes to the first waiter, not to a call arriving after it', async () => {
    const { lanes, enter, ended } = setup();
    await enter('a1', [A]);
    await enter('a2', [A]);
    const waiting = enter('a3', [A]);
    lanes.leave([A]);
    // a3 holds the freed place: a4, arriving now, waits even though a3's promise has not run yet.
    const late = enter('a4', [A]);
    await waiting;
    lanes.leave([A]);
    await late;
    expect(ended).toEqual([
      'a1 entered at once',
      'a2 entered at once',
      'a3 entered at 0',
      'a4 entered at 0',
    ]);
  });

  it('the lane is forgotten once idle', async () => {
    const { lanes, enter, stats } = setup();
    await enter('a1', [A]);
    expect(stats()).toEqual({ 'tenant:a': { inUse: 1, waiting: 0 } });
    lanes.leave([A]);
    expect(stats()).toEqual({});
  });
});

describe('waits that end without a place', () => {
  it('the deadline: refused exactly then, counted, and the next waiter keeps its turn', async () => {
    const { lanes, enter, ended, counts, stats } = setup();
    await enter('a1', [A]);
    await enter('a2', [A]);
    const early = enter('a3', [A], { deadlineIn: 1_000 });
    const late = enter('a4', [A], { deadlineIn: 5_000 });
    await jest.advanceTimersByTimeAsync(999);
    expect(ended).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(await early).toBe('deadline');
    lanes.leave([A]);
    expect(await late).toBe('entered');
    expect(ended.slice(2)).toEqual(['a3 deadline at 1000', 'a4 entered at 1000']);
    expect(counts).toEqual(['tenant +1', 'tenant +1', 'tenant -1', 'tenant refused', 'tenant -1']);
    expect(stats()).toEqual({ 'tenant:a': { inUse: 2, waiting: 0 } });
  });

  it('a place freed at a waiter’s deadline, before its timer ran, goes to the next one', async () => {
    const { lanes, enter, ended } = setup();
    await enter('a1', [A]);
    await enter('a2', [A]);
    const first = enter('a3', [A], { deadlineIn: 1_000 });
    const second = enter('a4', [A], { deadlineIn: 5_000 });
    jest.setSystemTime(T0 + 1_000);
    lanes.leave([A]);
    expect(await Promise.all([first, second])).toEqual(['deadline', 'entered']);
    expect(ended.slice(2)).toEqual(['a3 deadline at 1000', 'a4 entered at 1000']);
  });

  it('a deadline already past: refused at once, without waiting', async () => {
    const { enter, ended, counts, stats } = setup();
    await enter('a1', [A]);
    await enter('a2', [A]);
    expect(await enter('a3', [A], { deadlineIn: 0 })).toBe('deadline');
    expect(ended[2]).toBe('a3 deadline at 0');
    expect(counts).toEqual(['tenant refused']);
    expect(stats()).toEqual({ 'tenant:a': { inUse: 2, waiting: 0 } });
  });

  it('the caller goes away: cancelled at once, not counted as refused, and the lane moves on', async () => {
    const { lanes, enter, ended, counts } = setup();
    await enter('a1', [A]);
    await enter('a2', [A]);
    const operation = newOperation();
    const gone = enter('a3', [A], { operation });
    const next = enter('a4', [A]);
    await jest.advanceTimersByTimeAsync(200);
    operation.end();
    expect(await gone).toBe('cancelled');
    lanes.leave([A]);
    expect(await next).toBe('entered');
    expect(ended.slice(2)).toEqual(['a3 cancelled at 200', 'a4 entered at 200']);
    expect(counts).toEqual(['tenant +1', 'tenant +1', 'tenant -1', 'tenant -1']);
  });

  it('an operation already over does not wait', async () => {
    const { enter } = setup();
    await enter('a1', [A]);
    await enter('a2', [A]);
    const operation = newOperation();
    operation.end();
    expect(await enter('a3', [A], { operation })).toBe('cancelled');
  });

  it('an operation stopped by its deadline ends the wait as the deadline does', async () => {
    const { enter } = setup();
    await enter('a1', [A]);
    await enter('a2', [A]);
    const controller = new AbortController();
    const operation = {
      stopped: null as string | null,
      signal: () => controller.signal,
    } as unknown as OperationScope;
    const waiting = enter('a3', [A], { operation });
    (operation as { stopped: string | null }).stopped = 'deadline';
    controller.abort();
    expect(await waiting).toBe('deadline');
  });
});

describe('two lanes: all the places or none', () => {
  it('waits in the second lane holding the first; at the deadline gives the first back to its waiter', async () => {
    const { lanes, enter, ended, stats } = setup();
    await enter('x1', [ALL]);
    await enter('x2', [ALL]);
    // u1 takes the claimed tenant's one place, then waits for the shared lane; u2 waits for the claimed tenant's.
    const u1 = enter('u1', [ONE, ALL], { deadlineIn: 1_000 });
    const u2 = enter('u2', [ONE, ALL], { deadlineIn: 5_000 });
    await jest.advanceTimersByTimeAsync(0);
    expect(stats()).toEqual({
      'unproven:a': { inUse: 1, waiting: 1 },
      unproven: { inUse: 2, waiting: 1 },
    });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await u1).toBe('deadline');
    // u2 has the claimed tenant's place now, and waits in the shared lane.
    expect(stats()).toEqual({
      'unproven:a': { inUse: 1, waiting: 0 },
      unproven: { inUse: 2, waiting: 1 },
    });
    lanes.leave([ALL]);
    expect(await u2).toBe('entered');
    expect(ended.slice(2)).toEqual(['u1 deadline at 1000', 'u2 entered at 1000']);
    lanes.leave([ONE, ALL]);
    lanes.leave([ALL]);
    expect(stats()).toEqual({});
  });

  it('tryEnter takes nothing when one lane is full', () => {
    const { lanes, stats } = setup();
    expect(lanes.tryEnter([ONE, ALL])).toBe(true);
    expect(lanes.tryEnter([ONE, ALL])).toBe(false);
    expect(stats()).toEqual({
      'unproven:a': { inUse: 1, waiting: 0 },
      unproven: { inUse: 1, waiting: 0 },
    });
  });
});
