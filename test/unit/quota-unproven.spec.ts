import {
  abortableSleep,
  INTUNE_QUOTA_LIMITS,
  UnprovenGate,
  unprovenSlots,
} from '../../src/graph/quota';
import type { GateOutcome, QuotaKind, QuotaLimits } from '../../src/graph/quota';
import { createOperationScope } from '../../src/graph/client/operation';
import { systemClock } from '../../src/graph/client/retry-loop';
import { UNIT_LIMITS } from '../helpers/quota';

/**
 * The gate for tokens Graph has never accepted (src/graph/quota/unproven.ts): per tenant, a few places, first come,
 * first served. Jest's fake clock and timers: every deadline is exact.
 */
const T0 = 50_000;
const TENANT = 'tenant-a';
const OTHER = 'tenant-b';

const show = (outcome: GateOutcome) =>
  'units' in outcome ? `${outcome.units}` : 'refused' in outcome ? 'refused' : 'cancelled';

/** A gate of `slots` places; `enter` records `name outcome at ms-since-T0` when it ends. */
function setup(slots: number) {
  jest.useFakeTimers({ now: T0 });
  const gate = new UnprovenGate({ now: Date.now, sleep: abortableSleep });
  const ended: string[] = [];
  const passes = new Map<string, GateOutcome>();
  const enter = (
    name: string,
    want = 1,
    { tenant = TENANT, deadlineIn = 30_000, operation = newOperation() } = {},
  ) =>
    gate.enter(tenant, slots, want, Date.now() + deadlineIn, operation).then((outcome) => {
      ended.push(`${name} ${show(outcome)} at ${Date.now() - T0}`);
      passes.set(name, outcome);
      return outcome;
    });
  const free = (name: string, count?: number) => {
    const pass = passes.get(name);
    if (!pass || !('units' in pass)) throw new Error(`${name} holds no pass`);
    pass.free(count);
  };
  return { gate, ended, enter, free };
}

const newOperation = () => createOperationScope({ deadline: Infinity, clock: systemClock });

afterEach(() => jest.useRealTimers());

describe('unprovenSlots: 5 % of the tenant limit of the kind, at least 1', () => {
  it.each<[string, QuotaLimits, QuotaKind, number]>([
    ["Intune's writes", INTUNE_QUOTA_LIMITS, 'write', 10],
    ["Intune's reads", INTUNE_QUOTA_LIMITS, 'read', 100],
    ['small test limits', UNIT_LIMITS, 'write', 1],
    ['just under two', { ...INTUNE_QUOTA_LIMITS, tenantWrites: 39 }, 'write', 1],
    ['forty', { ...INTUNE_QUOTA_LIMITS, tenantCalls: 40 }, 'read', 2],
  ])('%s', (_name, limits, kind, slots) => {
    expect(unprovenSlots(limits, kind)).toBe(slots);
  });
});

describe('UnprovenGate', () => {
  it('admits up to its places at once, then one waiter per freed place, in arrival order', async () => {
    const { ended, enter, free } = setup(2);
    await enter('a');
    await enter('b');
    const waiting = [enter('c'), enter('d')];
    await jest.advanceTimersByTimeAsync(100);
    expect(ended).toEqual(['a 1 at 0', 'b 1 at 0']);
    free('b');
    await jest.advanceTimersByTimeAsync(0);
    free('a');
    await Promise.all(waiting);
    expect(ended).toEqual(['a 1 at 0', 'b 1 at 0', 'c 1 at 100', 'd 1 at 100']);
  });

  it('grants as many places as are free, up to what is asked; freeing part of a pass frees only that part', async () => {
    const { ended, enter, free } = setup(3);
    await enter('batch', 5);
    const next = enter('next', 5);
    free('batch', 1);
    free('batch', 0);
    await next;
    free('next');
    free('next');
    await enter('after', 5);
    expect(ended).toEqual(['batch 3 at 0', 'next 1 at 0', 'after 1 at 0']);
  });

  it('tenants are independent', async () => {
    const { ended, enter } = setup(1);
    await enter('a');
    void enter('a2');
    await enter('b', 1, { tenant: OTHER });
    expect(ended).toEqual(['a 1 at 0', 'b 1 at 0']);
  });

  it('a waiter is refused at its deadline, not before, and the one behind it keeps its place', async () => {
    const { ended, enter, free } = setup(1);
    await enter('a');
    void enter('short', 1, { deadlineIn: 700 });
    void enter('long', 1, { deadlineIn: 5_000 });
    await jest.advanceTimersByTimeAsync(699);
    expect(ended).toEqual(['a 1 at 0']);
    await jest.advanceTimersByTimeAsync(1);
    expect(ended).toEqual(['a 1 at 0', 'short refused at 700']);
    free('a');
    await jest.advanceTimersByTimeAsync(0);
    expect(ended).toEqual(['a 1 at 0', 'short refused at 700', 'long 1 at 700']);
  });

  it('a cancelled waiter leaves at once; the place goes to the next', async () => {
    const { ended, enter, free } = setup(1);
    await enter('a');
    const operation = newOperation();
    void enter('gone', 1, { operation });
    void enter('next');
    await jest.advanceTimersByTimeAsync(10);
    operation.end();
    await jest.advanceTimersByTimeAsync(0);
    free('a');
    await jest.advanceTimersByTimeAsync(0);
    expect(ended).toEqual(['a 1 at 0', 'gone cancelled at 10', 'next 1 at 10']);
  });

  it('a pass never freed stops counting at its deadline (its attempt is over by then)', async () => {
    const { ended, enter } = setup(1);
    await enter('leaked', 1, { deadlineIn: 2_000 });
    void enter('next', 1, { deadlineIn: 30_000 });
    await jest.advanceTimersByTimeAsync(2_000);
    expect(ended).toEqual(['leaked 1 at 0', 'next 1 at 2000']);
  });

  it('close ends the waiters, cancelled, and stops its timers', async () => {
    const { gate, ended, enter } = setup(1);
    await enter('a', 1, { deadlineIn: 1_000 });
    void enter('b', 1, { deadlineIn: 5_000 });
    gate.close();
    await jest.advanceTimersByTimeAsync(0);
    expect(ended).toEqual(['a 1 at 0', 'b cancelled at 0']);
    expect(jest.getTimerCount()).toBe(0);
    expect(gate.stats().size).toBe(0);
  });

  it('forgets a tenant once nothing is held or waiting', async () => {
    const { gate, enter, free } = setup(2);
    await enter('a');
    expect(gate.stats().get(TENANT)).toEqual({ inUse: 1, waiting: 0 });
    free('a');
    expect(gate.stats().size).toBe(0);
  });
});
