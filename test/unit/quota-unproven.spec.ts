import {
  abortableSleep,
  INTUNE_QUOTA_LIMITS,
  throttleEffect,
  TokenHolds,
  UnprovenGate,
  unprovenSlots,
} from '../../src/graph/quota';
import type { GateOutcome, QuotaKind, QuotaLimits, ThrottleEffect } from '../../src/graph/quota';
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

  it('an operation already over does not wait, and takes no free place', async () => {
    const { ended, enter } = setup(1);
    await enter('a');
    const over = newOperation();
    over.end();
    void enter('over, gate full', 1, { operation: over });
    await jest.advanceTimersByTimeAsync(0);
    expect(ended).toEqual(['a 1 at 0', 'over, gate full cancelled at 0']);
    void enter('over, a place free', 1, { operation: over, tenant: OTHER });
    await jest.advanceTimersByTimeAsync(0);
    expect(ended.at(-1)).toBe('over, a place free cancelled at 0');
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

describe('throttleEffect: what a 429 changes, by whether the token is proven', () => {
  it.each<[string, boolean, number | undefined, ThrottleEffect]>([
    // name, trusted (proven), Retry-After ms; window 20 s, cap 300 s
    ['proven, Retry-After 5 s', true, 5_000, { holds: 'tenant', holdMs: 5_000, lowersLimit: true }],
    [
      'proven, none: a window',
      true,
      undefined,
      { holds: 'tenant', holdMs: 20_000, lowersLimit: true },
    ],
    [
      'unproven, 5 s: the token',
      false,
      5_000,
      { holds: 'token', holdMs: 5_000, lowersLimit: false },
    ],
    ['unproven, none', false, undefined, { holds: 'token', holdMs: 20_000, lowersLimit: false }],
    [
      'unproven, a day: capped',
      false,
      86_400_000,
      { holds: 'token', holdMs: 300_000, lowersLimit: false },
    ],
    ['unproven, unreadable', false, NaN, { holds: 'token', holdMs: 20_000, lowersLimit: false }],
  ])('%s', (_name, trusted, retryAfterMs, effect) => {
    expect(throttleEffect(trusted, retryAfterMs, 20_000, 300_000)).toEqual(effect);
  });
});

describe('TokenHolds: an unproven 429 holds its token, bounded in number and time', () => {
  const holds = (size?: number) => {
    jest.useFakeTimers({ now: T0 });
    return new TokenHolds({ now: Date.now, sleep: abortableSleep, ...(size ? { size } : {}) });
  };

  it.each<[string, Array<[string, number]>, number, Record<string, number>]>([
    // name, holds set as (token, ms) at T0, ms later, when each token's hold ends (from T0; 0: none)
    ['a hold ends at its time', [['a', 300]], 299, { a: 300, b: 0 }],
    ['and is gone then', [['a', 300]], 300, { a: 0 }],
    [
      'a shorter one never cuts a longer one',
      [
        ['a', 500],
        ['a', 100],
      ],
      200,
      { a: 500 },
    ],
    [
      'a longer one extends it',
      [
        ['a', 100],
        ['a', 500],
      ],
      200,
      { a: 500 },
    ],
    [
      'none for nothing or a negative time',
      [
        ['a', 0],
        ['b', -5],
        ['c', NaN],
      ],
      0,
      { a: 0, b: 0, c: 0 },
    ],
  ])('%s', (_name, set, later, expected) => {
    const book = holds();
    for (const [token, ms] of set) book.hold(token, ms);
    jest.setSystemTime(T0 + later);
    const ends = Object.fromEntries(
      Object.keys(expected).map((token) => [
        token,
        book.heldUntil(token) && book.heldUntil(token) - T0,
      ]),
    );
    expect(ends).toEqual(expected);
  });

  it('at most `size` tokens: a new hold pushes the oldest out, and passed holds are swept as holds are set', () => {
    const book = holds(3);
    for (const token of ['a', 'b', 'c', 'd']) book.hold(token, 1_000);
    expect([book.count, book.heldUntil('a'), book.heldUntil('d') - T0]).toEqual([3, 0, 1_000]);
    book.hold('short', 10);
    jest.setSystemTime(T0 + 1_000);
    book.hold('e', 1_000);
    // b went for short; c, d and short have passed: only e is left.
    expect(book.count).toBe(1);
  });

  it.each<[string, number, number | null, number]>([
    // name, the take's deadline (from T0), what wait answers, when (from T0)
    ['waits out the hold', 5_000, 0, 700],
    ['refused when the hold ends at its deadline', 700, 700, 0],
    ['refused when it ends past it', 300, 700, 0],
  ])('wait: %s', async (_name, deadline, answer, at) => {
    const book = holds();
    book.hold('a', 700);
    let answered: [number | null, number] | undefined;
    void book.wait({ token: 'a', deadline: T0 + deadline }).then((left) => {
      answered = [left, Date.now() - T0];
    });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(answered).toEqual([answer, at]);
  });

  it('wait: a token held again meanwhile waits that hold too; a cancelled take stops at once', async () => {
    const book = holds();
    book.hold('a', 100);
    const first = book.wait({ token: 'a', deadline: T0 + 5_000 });
    await jest.advanceTimersByTimeAsync(50);
    book.hold('a', 400);
    await jest.advanceTimersByTimeAsync(450);
    expect([await first, Date.now() - T0]).toEqual([0, 500]);
    book.hold('a', 1_000);
    const operation = newOperation();
    const cancelled = book.wait({ token: 'a', deadline: T0 + 5_000, cancellation: operation });
    operation.end();
    expect(await cancelled).toBeNull();
  });
});
