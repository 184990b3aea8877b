import {
  createMemoryQuotaStore,
  createQuotaPacer,
  hold,
  nextStep,
  NOT_TRIED,
  shortAfter,
} from '../../src/graph/quota';
import type {
  QuotaIdentity,
  QuotaKind,
  QuotaLimits,
  QuotaOutcome,
  QuotaStore,
  Short,
  Step,
} from '../../src/graph/quota';
import type { OperationScope } from '../../src/graph/client/operation';
import { createOperationScope } from '../../src/graph/client/operation';
import { systemClock } from '../../src/graph/client/retry-loop';
import { UNIT_LIMITS, A, A2, B } from '../helpers/quota';

/**
 * First come, first served within a replica (docs/quotas.md, "Waiting in turn"). Times are jest's fake clock and
 * timers, so every wait is exact. UNIT_LIMITS: 2 writes per app, 3 per tenant, 4 calls per app, 6 per tenant, in
 * a 1 s window.
 */
const T0 = 50_000;

const show = (outcome: QuotaOutcome) =>
  'granted' in outcome
    ? 'granted'
    : 'refused' in outcome
      ? `refused (retry in ${outcome.retryAfterMs})`
      : 'cancelled';

interface TakeOptions {
  readonly deadlineIn?: number;
  /** The operation the take belongs to; ending it cancels the take. */
  readonly operation?: OperationScope;
  /** It completes a write Graph applied (a 204's read-back). */
  readonly continuation?: boolean;
}

/** A pacer on the fake clock, and the order in which takes ended: `name outcome at ms-since-T0`. */
function setup(limits: QuotaLimits = UNIT_LIMITS) {
  jest.useFakeTimers({ now: T0 });
  const pacer = createQuotaPacer({ limits });
  const ended: string[] = [];
  const take = (
    name: string,
    identity: QuotaIdentity,
    kind: QuotaKind,
    options: TakeOptions = {},
  ) => {
    const outcome = pacer.take({
      identity,
      kind,
      max: 1,
      deadline: Date.now() + (options.deadlineIn ?? 30_000),
      ...(options.operation ? { cancellation: options.operation } : {}),
      ...(options.continuation ? { continuation: true } : {}),
    });
    void outcome.then((value) => ended.push(`${name} ${show(value)} at ${Date.now() - T0}`));
    return outcome;
  };
  /** Runs the fake clock to `ms` after T0 (timers and promises in between included). */
  const at = (ms: number) => jest.advanceTimersByTimeAsync(T0 + ms - Date.now());
  /**
   * A take that arrives at `ms`, from a timer set now: at that moment it runs before any timer the pacer sets
   * later for the same moment, like a request that arrives just as budget frees and before the waiters wake.
   */
  const arrives = (ms: number, name: string, identity: QuotaIdentity, kind: QuotaKind) =>
    setTimeout(() => void take(name, identity, kind), T0 + ms - Date.now());
  return { pacer, ended, take, at, arrives };
}

/** A's two writes per window, taken at 0 and 100: one unit frees at 1000, the next at 1100. */
async function fillAppWrites(context: ReturnType<typeof setup>) {
  await context.take('fill', A, 'write');
  await context.at(100);
  await context.take('fill', A, 'write');
  context.ended.length = 0;
}

afterEach(() => jest.useRealTimers());

describe('quota pacer: waiting in arrival order', () => {
  it('five waiters are granted in arrival order as units free one at a time; a take arriving as one frees goes last', async () => {
    const context = setup();
    context.arrives(1_100, 'late', A, 'write');
    await fillAppWrites(context);
    for (const [index, name] of ['w1', 'w2', 'w3', 'w4', 'w5'].entries()) {
      await context.at(200 + index * 10);
      void context.take(name, A, 'write');
    }
    await context.at(3_500);
    // A unit frees one window after each grant: 1000, 1100, then 2000 (w1's), 2100 (w2's), 3000, 3100.
    expect(context.ended).toEqual([
      'w1 granted at 1000',
      'w2 granted at 1100',
      'w3 granted at 2000',
      'w4 granted at 2100',
      'w5 granted at 3000',
      'late granted at 3100',
    ]);
  });

  it('a continuation (the read-back of an applied write) goes ahead of the waiting takes, continuations in turn', async () => {
    const context = setup();
    // A's four calls per window, taken at 0, 100, 200 and 300: units free at 1000, 1100, 1200 and 1300.
    for (const ms of [0, 100, 200, 300]) {
      await context.at(ms);
      await context.take('fill', A, 'read');
    }
    context.ended.length = 0;
    await context.at(400);
    void context.take('r1', A, 'read');
    await context.at(410);
    void context.take('r2', A, 'read');
    await context.at(420);
    void context.take('back1', A, 'read', { continuation: true });
    await context.at(430);
    void context.take('back2', A, 'read', { continuation: true });
    await context.at(2_000);
    // Before: back1 at 1200 and back2 at 1300, behind calls that arrived after their writes.
    expect(context.ended).toEqual([
      'back1 granted at 1000',
      'back2 granted at 1100',
      'r1 granted at 1200',
      'r2 granted at 1300',
    ]);
  });

  it('a cancelled waiter leaves at once and the next is served when budget frees; one timer for the queue', async () => {
    const context = setup();
    context.arrives(1_000, 'late', A, 'write');
    await fillAppWrites(context);
    const operation = createOperationScope({ deadline: Infinity, clock: systemClock });
    await context.at(200);
    void context.take('w1', A, 'write', { operation });
    for (const [index, name] of ['w2', 'w3'].entries()) {
      await context.at(210 + index * 10);
      void context.take(name, A, 'write');
    }
    // The queue's timer and the late arrival's: not one per waiter.
    expect(jest.getTimerCount()).toBe(2);
    await context.at(500);
    operation.end();
    await context.at(500);
    expect(context.ended).toEqual(['w1 cancelled at 500']);
    await context.at(2_500);
    expect(context.ended).toEqual([
      'w1 cancelled at 500',
      'w2 granted at 1000',
      'w3 granted at 1100',
      'late granted at 2000',
    ]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('a waiter refused for its deadline is refused at once and does not hold up those behind it', async () => {
    const context = setup();
    context.arrives(1_100, 'late', A, 'write');
    await fillAppWrites(context);
    await context.at(200);
    void context.take('w1', A, 'write');
    await context.at(210);
    // Behind w1, it cannot have budget before 1000, after its deadline (710): refused now, told when it frees.
    const short = await context.take('short', A, 'write', { deadlineIn: 500 });
    expect(short).toEqual({ refused: true, retryAfterMs: 790, waitedMs: 0 });
    await context.at(220);
    void context.take('w3', A, 'write');
    await context.at(2_500);
    expect(context.ended).toEqual([
      'short refused (retry in 790) at 210',
      'w1 granted at 1000',
      'w3 granted at 1100',
      'late granted at 2000',
    ]);
  });

  it('a waiter whose turn comes too late for its deadline is refused when that is known, not at its deadline', async () => {
    const context = setup();
    await fillAppWrites(context);
    await context.at(200);
    void context.take('w1', A, 'write');
    void context.take('w2', A, 'write');
    // Behind w1 and w2: the first unit (1000) would do, the second (1100) is past its deadline (1050).
    void context.take('short', A, 'write', { deadlineIn: 850 });
    void context.take('w3', A, 'write');
    await context.at(2_500);
    expect(context.ended).toEqual([
      'w1 granted at 1000',
      'short refused (retry in 100) at 1000',
      'w2 granted at 1100',
      'w3 granted at 2000',
    ]);
  });

  it('different tenants and apps do not wait on each other: one timer per tenant with waiters', async () => {
    const context = setup();
    await fillAppWrites(context);
    await context.take('fill B', B, 'write', {});
    await context.take('fill B', B, 'write', {});
    context.ended.length = 0;
    await context.at(200);
    for (const name of ['a1', 'a2', 'a3']) void context.take(name, A, 'write');
    for (const name of ['b1', 'b2', 'b3']) void context.take(name, B, 'write');
    // A2 shares A's tenant write window (3, one left), but A's waiters are short of A's own app window only.
    await context.take('other app', A2, 'write');
    await context.take('other tenant', B, 'read');
    expect(jest.getTimerCount()).toBe(2);
    await context.at(2_500);
    // B's two units were both taken at 100: both free at 1100, its timer (set at 200) before A's (set at 1000).
    expect(context.ended).toEqual([
      'other app granted at 200',
      'other tenant granted at 200',
      'a1 granted at 1000',
      'b1 granted at 1100',
      'b2 granted at 1100',
      'a2 granted at 1100',
      'a3 granted at 2000',
      'b3 granted at 2100',
    ]);
  });

  it('a read passes writes held by the write windows alone, but queues behind a write held by the call window', async () => {
    const context = setup();
    // 1 write at 0 and 3 reads at 100: A's call window (4) is full until 1000; one write unit is left.
    await context.take('fill', A, 'write');
    await context.at(100);
    for (let i = 0; i < 3; i += 1) await context.take('fill', A, 'read');
    context.ended.length = 0;
    context.arrives(1_000, 'late read', A, 'read');
    await context.at(200);
    void context.take('write', A, 'write');
    await context.at(2_000);
    // The write was short of the call window only: the read arriving as it frees goes after it.
    expect(context.ended).toEqual(['write granted at 1000', 'late read granted at 1100']);
  });

  it('a read is not queued behind writes that only the write windows hold', async () => {
    const context = setup();
    await fillAppWrites(context);
    await context.at(200);
    for (const name of ['w1', 'w2']) void context.take(name, A, 'write');
    await context.at(300);
    expect(await context.take('read', A, 'read')).toMatchObject({ granted: 1, waitedMs: 0 });
    await context.at(1_100);
    expect(context.ended).toEqual([
      'read granted at 300',
      'w1 granted at 1000',
      'w2 granted at 1100',
    ]);
  });

  it('a waiter keeps what it was short of: later takes cannot take one window while it waits for another', async () => {
    // Three writes per tenant, four calls per app; the other limits out of the way.
    const context = setup({ ...UNIT_LIMITS, appWrites: 10, tenantCalls: 100 });
    const A3: QuotaIdentity = { tenant: A.tenant, app: 'cccccccc-cccc-cccc-cccc-cccccccccccc' };
    context.arrives(1_000, 'other app 1', A2, 'write');
    await context.take('fill', A2, 'write');
    await context.take('fill', A3, 'write');
    await context.take('fill', A3, 'write');
    context.ended.length = 0;
    await context.at(100);
    // Short of the tenant's write window (free at 1000) only: A's reads may fill A's call window meanwhile.
    void context.take('write', A, 'write');
    await context.at(200);
    for (let i = 0; i < 4; i += 1) await context.take('read', A, 'read');
    await context.at(1_100);
    void context.take('other app 2', A2, 'write');
    void context.take('other app 3', A2, 'write');
    await context.at(2_500);
    // At 1000 the write finds A's call window full (until 1200): it still holds the tenant window, so the other
    // app's writes, arriving at 1000 and 1100, wait for it instead of taking the tenant window again.
    expect(context.ended).toEqual([
      'read granted at 200',
      'read granted at 200',
      'read granted at 200',
      'read granted at 200',
      'write granted at 1200',
      'other app 1 granted at 1200',
      'other app 2 granted at 1200',
      'other app 3 granted at 2200',
    ]);
  });

  it('keeps waking when time passes while it decides (a slow store): no waiter is left without a timer', async () => {
    // A clock that moves 1 ms on every read, and a store that twice answers "full, free in 2 ms" before granting:
    // by the time the queue has decided to wait, that moment has passed. Sleeps move the clock and end at once.
    let time = T0;
    const now = () => (time += 1);
    const inner = createMemoryQuotaStore({ now });
    let fullAnswers = 2;
    const full = () => ({ granted: 0, waitMs: 2, at: now(), shortOf: ['appWrites' as const] });
    const store: QuotaStore = {
      shared: true,
      take: (request) =>
        fullAnswers-- > 0
          ? Promise.resolve({ ...full(), release: async () => {} })
          : inner.take(request),
      block: () => Promise.resolve(),
      ping: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const sleep = (ms: number) => ((time += ms), Promise.resolve(true));
    const pacer = createQuotaPacer({ limits: UNIT_LIMITS, store, now, sleep });
    let outcome: QuotaOutcome | undefined;
    void pacer
      .take({ identity: A, kind: 'write', max: 1, deadline: T0 + 30_000 })
      .then((value) => (outcome = value));
    for (let i = 0; i < 20 && !outcome; i += 1) await new Promise(setImmediate);
    expect(outcome).toMatchObject({ granted: 1 });
    expect(fullAnswers).toBe(-1);
    await pacer.close();
  });

  it('under random load every take ends by its deadline, and no window ever holds more than its limit', async () => {
    const context = setup();
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const late: string[] = [];
    const grants: Array<{ who: QuotaIdentity; kind: QuotaKind; at: number }> = [];
    const running: Promise<unknown>[] = [];
    for (let i = 0; i < 400; i += 1) {
      await context.at(i * 12 + Math.floor(random() * 12));
      const who = [A, A, A2, B][Math.floor(random() * 4)]!;
      const kind: QuotaKind = random() < 0.5 ? 'write' : 'read';
      const deadline = Date.now() + 200 + Math.floor(random() * 3_000);
      const operation = createOperationScope({ deadline: Infinity, clock: systemClock });
      if (random() < 0.1) setTimeout(() => operation.end(), Math.floor(random() * 1_000));
      const outcome = context.take(`t${i}`, who, kind, {
        deadlineIn: deadline - Date.now(),
        operation,
      });
      running.push(
        outcome.then((value) => {
          if (Date.now() > deadline) late.push(`t${i} ended ${Date.now() - deadline} ms late`);
          if ('granted' in value) grants.push({ who, kind, at: Date.now() });
        }),
      );
    }
    await context.at(12_000);
    await Promise.all(running);
    expect(late).toEqual([]);
    const crowded = (limit: number, match: (grant: (typeof grants)[number]) => boolean) => {
      const times = grants.filter(match).map((grant) => grant.at);
      return times.filter((at, i) => i + limit < times.length && times[i + limit]! - at < 1_000);
    };
    const tenantA = (grant: (typeof grants)[number]) => grant.who.tenant === A.tenant;
    expect({
      appWrites: crowded(UNIT_LIMITS.appWrites, (g) => g.who === A && g.kind === 'write'),
      tenantWrites: crowded(UNIT_LIMITS.tenantWrites, (g) => tenantA(g) && g.kind === 'write'),
      appCalls: crowded(UNIT_LIMITS.appCalls, (g) => g.who === A),
      tenantCalls: crowded(UNIT_LIMITS.tenantCalls, tenantA),
      otherTenant: crowded(UNIT_LIMITS.appCalls, (g) => g.who === B),
    }).toEqual({ appWrites: [], tenantWrites: [], appCalls: [], tenantCalls: [], otherTenant: [] });
    // Busy, not idle: B's four calls a second were used through the ~5 s of arrivals.
    expect(grants.filter((grant) => grant.who === B).length).toBeGreaterThanOrEqual(4 * 5);
  });
});

const short = (keys: string[], until: number): Short => ({ keys, until });

describe('nextStep: what a queued take does now', () => {
  const held = new Map([
    ['app-writes', 1_000],
    ['tenant-calls', 1_500],
  ]);
  it.each<[string, string[], Short, number, Step]>([
    // name, keys it needs, its last shortage, its deadline, the step at 500
    ['needs nothing held, never tried: tries', ['app-calls'], NOT_TRIED, 9_000, { kind: 'try' }],
    [
      'its own shortage has passed: tries',
      ['app-calls'],
      short(['app-calls'], 500),
      9_000,
      { kind: 'try' },
    ],
    [
      'its own shortage still holds: waits for it',
      ['app-calls'],
      short(['app-calls'], 800),
      9_000,
      { kind: 'wait', until: 800 },
    ],
    [
      'behind a holder: waits for it',
      ['app-writes'],
      NOT_TRIED,
      9_000,
      { kind: 'wait', until: 1_000 },
    ],
    [
      'behind two holders: waits for the later',
      ['app-writes', 'tenant-calls'],
      NOT_TRIED,
      9_000,
      { kind: 'wait', until: 1_500 },
    ],
    [
      'behind a holder, own shortage later: waits for its own',
      ['app-writes'],
      short(['block'], 4_000),
      9_000,
      { kind: 'wait', until: 4_000 },
    ],
    [
      'turn comes at its deadline: refused',
      ['app-writes'],
      NOT_TRIED,
      1_000,
      { kind: 'refuse', until: 1_000 },
    ],
    [
      'turn comes just before its deadline: waits',
      ['app-writes'],
      NOT_TRIED,
      1_001,
      { kind: 'wait', until: 1_000 },
    ],
  ])('%s', (_name, needs, last, deadline, expected) => {
    expect(nextStep({ needs, short: last, deadline }, held, 500)).toEqual(expected);
  });
});

describe('shortAfter: what a take holds after a try', () => {
  it.each<[string, Short, string[], Short]>([
    // name, before, found full, after (until 900)
    ['never tried: what it found', NOT_TRIED, ['w'], short(['w'], 900)],
    ['adds what it found to what it held', short(['w'], 500), ['c'], short(['w', 'c'], 900)],
    ['no key twice', short(['w', 'c'], 500), ['c', 'b'], short(['w', 'c', 'b'], 900)],
  ])('%s', (_name, before, found, after) => {
    expect(shortAfter(before, found, 900)).toEqual(after);
  });
});

describe('hold: what a take that stays queued holds for those behind it', () => {
  it.each<[string, string[], Short, number, [string, number][], Short]>([
    // name, keys it needs, what it held, until, held afterwards (from app-writes until 1000), what it holds
    [
      'its own keys',
      ['app-calls', 'block'],
      short(['app-calls'], 800),
      800,
      [
        ['app-writes', 1_000],
        ['app-calls', 800],
      ],
      short(['app-calls'], 800),
    ],
    [
      'the keys it queues behind, raised to its own turn, and held from now on',
      ['app-writes', 'app-calls'],
      NOT_TRIED,
      1_200,
      [['app-writes', 1_200]],
      short(['app-writes'], 0),
    ],
    [
      'a key it was short of before, even once that shortage has passed',
      ['app-calls'],
      short(['app-calls'], 400),
      1_000,
      [
        ['app-writes', 1_000],
        ['app-calls', 1_000],
      ],
      short(['app-calls'], 400),
    ],
    [
      'never lowers a key',
      ['app-writes'],
      short(['app-writes'], 700),
      700,
      [['app-writes', 1_000]],
      short(['app-writes'], 700),
    ],
  ])('%s', (_name, needs, before, until, expected, after) => {
    const held = new Map([['app-writes', 1_000]]);
    expect(hold(held, { needs, short: before }, until)).toEqual(after);
    expect([...held]).toEqual(expected);
  });
});
