import { createQuotaPacer, isQuotaGrant } from '../../src/graph/quota';
import type {
  AttemptEnd,
  QuotaHooks,
  QuotaIdentity,
  QuotaKind,
  QuotaLimits,
  QuotaOutcome,
  QuotaPacer,
} from '../../src/graph/quota';
import { createOperationScope } from '../../src/graph/client/operation';
import { systemClock } from '../../src/graph/client/retry-loop';
import { UNIT_LIMITS, A, A2, B } from '../helpers/quota';

/** A fake clock that sleeps advance instantly; every sleep is recorded. */
function setup(
  limits: QuotaLimits | null = UNIT_LIMITS,
  marginMs?: number,
  attemptTimeoutMs?: number,
) {
  const clock = { now: 50_000 };
  const sleeps: number[] = [];
  const events: string[] = [];
  const hooks: QuotaHooks = {
    waited: (ms, kind) => events.push(`waited ${kind} ${ms}`),
    refused: (kind) => events.push(`refused ${kind}`),
    late: (count, kind) => events.push(`late ${count} ${kind}`),
  };
  const pacer = createQuotaPacer({
    limits,
    now: () => clock.now,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.now += ms;
      return Promise.resolve(true);
    },
    hooks,
    ...(marginMs === undefined ? {} : { marginMs }),
    ...(attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs }),
  });
  const take = (identity: QuotaIdentity, kind: QuotaKind, max = 1, deadlineIn = 30_000) =>
    pacer.take({ identity, kind, max, deadline: clock.now + deadlineIn });
  return { clock, sleeps, events, pacer, take };
}

type Step = [QuotaIdentity, QuotaKind, number];
const LATE = ['late 2 write'];
const granted = (outcome: QuotaOutcome) => (isQuotaGrant(outcome) ? outcome.granted : 0);

describe('createQuotaPacer: waits', () => {
  it.each<[string, Step[], Step, number[], object]>([
    // name, takes that fill the windows (all at the start time), the next take, its sleeps, its outcome
    ['room: granted at once', [], [A, 'write', 2], [], { granted: 2, waitedMs: 0 }],
    [
      'app writes full: one window',
      [[A, 'write', 2]],
      [A, 'write', 1],
      [1_000],
      { granted: 1, waitedMs: 1_000 },
    ],
    [
      'a batch gets what frees up',
      [[A, 'write', 2]],
      [A, 'write', 20],
      [1_000],
      { granted: 2, waitedMs: 1_000 },
    ],
    [
      'tenant writes full across apps',
      [
        [A, 'write', 2],
        [A2, 'write', 1],
      ],
      [A2, 'write', 1],
      [1_000],
      { granted: 1 },
    ],
    [
      'app calls full: reads wait too',
      [
        [A, 'write', 2],
        [A, 'read', 2],
      ],
      [A, 'read', 1],
      [1_000],
      { granted: 1 },
    ],
    ['reads do not fill the write windows', [[A, 'read', 2]], [A, 'write', 5], [], { granted: 2 }],
    [
      'another tenant does not wait',
      [
        [A, 'write', 2],
        [A, 'read', 2],
      ],
      [B, 'write', 1],
      [],
      { granted: 1 },
    ],
  ])('%s', async (_name, fill, [identity, kind, max], sleeps, outcome) => {
    const context = setup();
    for (const [who, what, n] of fill) expect(granted(await context.take(who, what, n))).toBe(n);
    expect(await context.take(identity, kind, max)).toMatchObject(outcome);
    expect(context.sleeps).toEqual(sleeps);
  });

  it('waits exactly until the oldest entry of a full window expires', async () => {
    const context = setup();
    await context.take(A, 'write');
    context.clock.now += 300;
    await context.take(A, 'write');
    context.clock.now += 200;
    expect(await context.take(A, 'write')).toMatchObject({ granted: 1, waitedMs: 500, at: 51_000 });
    expect(await context.take(A, 'write')).toMatchObject({ granted: 1, waitedMs: 300, at: 51_300 });
    expect(context.sleeps).toEqual([500, 300]);
    expect(context.events).toEqual([
      'waited write 0',
      'waited write 0',
      'waited write 500',
      'waited write 300',
    ]);
  });

  it('a 429 block holds the identity until its time, and not another tenant', async () => {
    const context = setup();
    context.pacer.block(A, context.clock.now + 2_500);
    expect(await context.take(B, 'read')).toMatchObject({ granted: 1, waitedMs: 0 });
    expect(await context.take(A, 'read')).toMatchObject({ granted: 1, waitedMs: 2_500 });
    expect(context.sleeps).toEqual([2_500]);
  });

  it('a block in the past does nothing', async () => {
    const context = setup();
    context.pacer.block(A, context.clock.now - 1);
    expect(await context.take(A, 'read')).toMatchObject({ granted: 1, waitedMs: 0 });
  });

  it('release gives the budget back (Graph answered 401/403), once', async () => {
    const context = setup();
    const first = await context.take(A, 'write', 2);
    if (!isQuotaGrant(first)) throw new Error('expected a grant');
    first.release();
    first.release();
    expect(await context.take(A, 'write', 5)).toMatchObject({ granted: 2, waitedMs: 0 });
    expect(context.sleeps).toEqual([]);
  });

  it('release(count) gives back the items of a batch that Graph refused, and no more', async () => {
    const context = setup();
    const batch = await context.take(A, 'write', 2);
    if (!isQuotaGrant(batch)) throw new Error('expected a grant');
    batch.release(1);
    batch.release(0);
    expect(await context.take(A, 'write', 5)).toMatchObject({ granted: 1, waitedMs: 0 });
    batch.release(3);
    expect(await context.take(A, 'write', 5)).toMatchObject({ granted: 1, waitedMs: 0 });
    expect(await context.take(A, 'write', 5, 10)).toMatchObject({ refused: true });
  });

  it('quotas off: grants max at once, whatever was taken', async () => {
    const context = setup(null);
    for (let i = 0; i < 50; i += 1)
      expect(await context.take(A, 'write', 20)).toMatchObject({ granted: 20 });
    context.pacer.block(A, context.clock.now + 10_000);
    expect(await context.take(A, 'write', 3)).toMatchObject({ granted: 3, waitedMs: 0 });
    expect(context.sleeps).toEqual([]);
  });

  it.each([
    ['a zero limit', { ...UNIT_LIMITS, appWrites: 0 }],
    ['a fractional window', { ...UNIT_LIMITS, windowMs: 0.5 }],
    ['a negative limit', { ...UNIT_LIMITS, tenantCalls: -1 }],
  ])('refuses to start with %s', (_name, limits) => {
    expect(() => createQuotaPacer({ limits })).toThrow(RangeError);
  });
});

describe('createQuotaPacer: deadline', () => {
  it.each<[string, number, object, string[]]>([
    // name, deadline in ms from now, outcome, events
    [
      'budget frees after the deadline: refused at once',
      999,
      { refused: true, retryAfterMs: 1_000, waitedMs: 0 },
      ['waited write 0', 'refused write'],
    ],
    [
      'budget frees exactly at the deadline: refused',
      1_000,
      { refused: true, retryAfterMs: 1_000 },
      ['waited write 0', 'refused write'],
    ],
    [
      'budget frees just before the deadline: waits',
      1_001,
      { granted: 1, waitedMs: 1_000 },
      ['waited write 1000'],
    ],
  ])('%s', async (_name, deadlineIn, outcome, events) => {
    const context = setup();
    await context.take(A, 'write', 2);
    context.events.length = 0;
    expect(await context.take(A, 'write', 1, deadlineIn)).toMatchObject(outcome);
    expect(context.events).toEqual(events);
    expect(context.sleeps).toEqual('granted' in outcome ? [1_000] : []);
  });

  it('a block set while it waits can push it past its deadline: refused after waiting', async () => {
    const clock = { now: 50_000 };
    let blocked = false;
    const slow = createQuotaPacer({
      limits: UNIT_LIMITS,
      now: () => clock.now,
      sleep: (ms) => {
        clock.now += ms;
        if (!blocked) {
          blocked = true;
          slow.block(A, clock.now + 5_000);
        }
        return Promise.resolve(true);
      },
    });
    await slow.take({ identity: A, kind: 'write', max: 2, deadline: clock.now + 30_000 });
    const outcome = await slow.take({
      identity: A,
      kind: 'write',
      max: 1,
      deadline: clock.now + 3_000,
    });
    expect(outcome).toEqual({ refused: true, retryAfterMs: 5_000, waitedMs: 1_000 });
  });
});

/** The operation scope every Graph call takes its budget under; `end()` cancels it. */
const newOperation = () => createOperationScope({ deadline: Infinity, clock: systemClock });

describe('createQuotaPacer: cancellation and independence', () => {
  it('an ended operation cancels before anything is taken', async () => {
    const context = setup();
    const operation = newOperation();
    operation.end();
    const outcome = await context.pacer.take({
      identity: A,
      kind: 'write',
      max: 2,
      deadline: Infinity,
      cancellation: operation,
    });
    expect(outcome).toEqual({ cancelled: true });
    expect(await context.take(A, 'write', 2)).toMatchObject({ granted: 2, waitedMs: 0 });
  });

  it('ending the operation while it waits cancels the wait and takes nothing', async () => {
    jest.useFakeTimers({ now: 50_000 });
    try {
      const pacer = createQuotaPacer({ limits: UNIT_LIMITS });
      await pacer.take({ identity: A, kind: 'write', max: 2, deadline: Date.now() + 30_000 });
      const operation = newOperation();
      const waiting = pacer.take({
        identity: A,
        kind: 'write',
        max: 1,
        deadline: Date.now() + 30_000,
        cancellation: operation,
      });
      await jest.advanceTimersByTimeAsync(400);
      operation.end();
      expect(await waiting).toEqual({ cancelled: true });
      expect(jest.getTimerCount()).toBe(0);
      await jest.advanceTimersByTimeAsync(600);
      expect(
        await pacer.take({ identity: A, kind: 'write', max: 5, deadline: Date.now() + 30_000 }),
      ).toMatchObject({ granted: 2, waitedMs: 0 });
    } finally {
      jest.useRealTimers();
    }
  });

  it('with real timers (faked), a waiting take resolves exactly when its window frees', async () => {
    jest.useFakeTimers({ now: 50_000 });
    try {
      const pacer = createQuotaPacer({ limits: UNIT_LIMITS });
      await pacer.take({ identity: A, kind: 'write', max: 2, deadline: Date.now() + 30_000 });
      let outcome: QuotaOutcome | undefined;
      void pacer
        .take({ identity: A, kind: 'write', max: 1, deadline: Date.now() + 30_000 })
        .then((value) => (outcome = value));
      await jest.advanceTimersByTimeAsync(999);
      expect(outcome).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1);
      expect(outcome).toMatchObject({ granted: 1, waitedMs: 1_000 });
    } finally {
      jest.useRealTimers();
    }
  });

  it("one tenant's waiting takes never delay another tenant's, and wait on one timer", async () => {
    const clock = { now: 50_000 };
    const pending: (() => void)[] = [];
    const pacer: QuotaPacer = createQuotaPacer({
      limits: UNIT_LIMITS,
      now: () => clock.now,
      sleep: (ms) =>
        new Promise((resolve) => pending.push(() => ((clock.now += ms), resolve(true)))),
    });
    const take = (identity: QuotaIdentity, max = 1) =>
      pacer.take({ identity, kind: 'write', max, deadline: clock.now + 30_000 });
    await take(A, 2);
    const queued = Array.from({ length: 50 }, () => take(A));
    await Promise.resolve();
    expect(await take(B, 2)).toMatchObject({ granted: 2, waitedMs: 0 });
    // A's queue sleeps on one timer, not one per waiting take.
    expect(pending).toHaveLength(1);
    pending.splice(0).forEach((wake) => wake());
    expect(granted(await queued[0]!)).toBe(1);
  });
});

describe('createQuotaPacer: attempts that end late', () => {
  type Row = [
    string,
    number,
    number,
    number,
    AttemptEnd | undefined,
    number | undefined,
    string[],
    number[],
  ];
  // UNIT_LIMITS: a 1,000 ms window (margin included), 2 app writes. Two writes taken at 50,000 end `lastedMs` later,
  // some of them given back first, ending as `end` says; then two more writes are taken, one after the other.
  it.each<Row>([
    // name, margin, lastedMs, given back, end, attempt timeout, the late hook's calls, when the next two writes go
    [
      'within the margin: counted from the grant',
      200,
      200,
      0,
      undefined,
      undefined,
      [],
      [1_000, 1_000],
    ],
    [
      'past it: from margin before the end',
      200,
      500,
      0,
      undefined,
      undefined,
      LATE,
      [1_300, 1_300],
    ],
    ['far past it: later still', 200, 900, 0, undefined, undefined, LATE, [1_700, 1_700]],
    [
      'no margin: any time after the grant counts',
      0,
      1,
      0,
      undefined,
      undefined,
      LATE,
      [1_001, 1_001],
    ],
    [
      'one given back: the other one moves',
      200,
      500,
      1,
      undefined,
      undefined,
      ['late 1 write'],
      [500, 1_300],
    ],
    ['both given back: nothing left to move', 200, 500, 2, undefined, undefined, [], [500, 500]],
    [
      'answered 450 ms before its end: within the margin',
      200,
      500,
      0,
      { answeredMsAgo: 450 },
      undefined,
      [],
      [1_000, 1_000],
    ],
    [
      'answered 100 ms before its end: from then',
      200,
      500,
      0,
      { answeredMsAgo: 100 },
      undefined,
      LATE,
      [1_200, 1_200],
    ],
    [
      'sent, not answered: as if it had run its 2 s',
      200,
      500,
      0,
      'unanswered',
      2_000,
      LATE,
      [2_800, 2_800],
    ],
    [
      'sent, not answered, its time not told: from its end',
      200,
      500,
      0,
      'unanswered',
      undefined,
      LATE,
      [1_300, 1_300],
    ],
    ['never sent: nothing moves', 200, 500, 0, 'unsent', 2_000, [], [1_000, 1_000]],
  ])('%s', async (_name, marginMs, lastedMs, givenBack, end, attemptTimeoutMs, late, times) => {
    const { clock, events, take, pacer } = setup(UNIT_LIMITS, marginMs, attemptTimeoutMs);
    const grant = await take(A, 'write', 2);
    if (!isQuotaGrant(grant)) throw new Error('expected a grant');
    if (givenBack > 0) grant.release(givenBack);
    clock.now += lastedMs;
    grant.done(end);
    grant.done(end);
    expect(events.filter((event) => event.startsWith('late'))).toEqual(late);
    await Promise.resolve();
    const went: number[] = [];
    for (let n = 0; n < 2; n += 1) {
      expect(granted(await take(A, 'write', 1))).toBe(1);
      went.push(clock.now - 50_000);
    }
    expect(went).toEqual(times);
    await pacer.close();
  });
});

describe('createQuotaPacer: attempts that outlast half a window', () => {
  afterEach(() => jest.useRealTimers());

  it('a grant whose `done` never comes is let go at its deadline: dated to it once more, not held for ever', async () => {
    jest.useFakeTimers({ now: 50_000 });
    const pacer = createQuotaPacer({ limits: UNIT_LIMITS, marginMs: 200, attemptTimeoutMs: 2_000 });
    const take = (deadlineIn: number) =>
      pacer.take({ identity: A, kind: 'write', max: 2, deadline: Date.now() + deadlineIn });
    expect(await take(1_500)).toMatchObject({ granted: 2 });
    // Dated again every 400 ms while it goes on; at its deadline (51,500) dated to it: free at 52,300.
    await jest.advanceTimersByTimeAsync(2_000);
    const next = take(30_000);
    await jest.advanceTimersByTimeAsync(300);
    expect(await next).toMatchObject({ granted: 2, waitedMs: 300 });
    await jest.advanceTimersByTimeAsync(400);
    expect(jest.getTimerCount()).toBe(1);
    await pacer.close();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('are dated again while they go on, every quarter window, and the timer stops once none is left', async () => {
    jest.useFakeTimers({ now: 50_000 });
    const late: string[] = [];
    // Graph's window 800 ms (1,000 with the 200 ms margin); attempts may take 2 s.
    const pacer = createQuotaPacer({
      limits: UNIT_LIMITS,
      marginMs: 200,
      attemptTimeoutMs: 2_000,
      hooks: { late: (count, kind) => late.push(`late ${count} ${kind}`) },
    });
    const take = (deadlineIn: number) =>
      pacer.take({ identity: A, kind: 'write', max: 2, deadline: Date.now() + deadlineIn });
    const grant = await take(30_000);
    if (!isQuotaGrant(grant)) throw new Error('expected a grant');
    // Counted from its grant, its entries would have freed at 51,000: the attempt still goes on at 51,700.
    await jest.advanceTimersByTimeAsync(1_700);
    expect(await take(100)).toMatchObject({ refused: true });
    expect(late).toEqual(['late 2 write']);
    // Answered now: from the margin before now, a window on (800 ms).
    grant.done({ answeredMsAgo: 0 });
    const next = take(30_000);
    await jest.advanceTimersByTimeAsync(800);
    const second = await next;
    expect(second).toMatchObject({ granted: 2, waitedMs: 800 });
    expect(late).toEqual(['late 2 write']);
    if (isQuotaGrant(second)) second.done();
    await jest.advanceTimersByTimeAsync(400);
    expect(jest.getTimerCount()).toBe(0);
    await pacer.close();
  });
});
