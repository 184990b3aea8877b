import { createQuotaPacer, isQuotaGrant } from '../../src/graph/quota';
import type {
  QuotaGrant,
  QuotaIdentity,
  QuotaLimitChange,
  QuotaOutcome,
} from '../../src/graph/quota';
import { A, A2, CLIENT_LIMITS } from '../helpers/quota';

/**
 * The pacer under pressure (issue 23): 429s hold and lower the limit, the calls let out after a hold are spaced,
 * unproven tokens pass a gate, and a 401 wakes the queue. Jest's fake clock and timers; random numbers injected.
 * LIMITS: 10 writes per app, 40 per tenant (so 2 places for unproven tokens), in a 1 s window.
 */
const T0 = 50_000;
const LIMITS = CLIENT_LIMITS;

interface TakeOptions {
  readonly max?: number;
  readonly proven?: boolean;
  readonly identity?: QuotaIdentity;
  readonly deadlineIn?: number;
  readonly token?: string;
}

function setup(options: { randoms?: number[]; maxHoldMs?: number } = {}) {
  jest.useFakeTimers({ now: T0 });
  const randoms = options.randoms ?? [];
  const changes: QuotaLimitChange[] = [];
  const pacer = createQuotaPacer({
    limits: LIMITS,
    random: () => randoms.shift() ?? 0,
    hooks: { limitChanged: (change) => changes.push(change) },
    ...(options.maxHoldMs ? { maxHoldMs: options.maxHoldMs } : {}),
  });
  const ended: string[] = [];
  const grants = new Map<string, QuotaGrant>();
  const take = (
    name: string,
    { max = 1, proven, identity = A, deadlineIn = 30_000, token }: TakeOptions = {},
  ) => {
    const outcome = pacer.take({
      identity,
      kind: 'write',
      max,
      deadline: Date.now() + deadlineIn,
      ...(proven === undefined ? {} : { proven }),
      ...(token === undefined ? {} : { token }),
    });
    void outcome.then((value) => {
      ended.push(`${name} ${show(value)} at ${Date.now() - T0}`);
      if (isQuotaGrant(value)) grants.set(name, value);
    });
    return outcome;
  };
  const grant = (name: string) => {
    const found = grants.get(name);
    if (!found) throw new Error(`${name} was not granted`);
    return found;
  };
  /** Runs the fake clock to `ms` after T0 (timers and promises in between included). */
  const at = (ms: number) => jest.advanceTimersByTimeAsync(T0 + ms - Date.now());
  return { pacer, ended, take, grant, at, changes };
}

const show = (outcome: QuotaOutcome) =>
  isQuotaGrant(outcome)
    ? `granted ${outcome.granted}`
    : 'refused' in outcome
      ? `refused (retry in ${outcome.retryAfterMs})`
      : 'cancelled';

afterEach(() => jest.useRealTimers());

describe('quota pacer: 429s', () => {
  it.each<[string, number | undefined, number]>([
    // name, Retry-After in ms, when the next write of the tenant and app goes
    ['without Retry-After: a whole window', undefined, 1_000],
    ["with one: Graph's", 300, 300],
    ['a day: capped at maxHoldMs', 86_400_000, 5_000],
  ])('%s', async (_name, retryAfterMs, next) => {
    const { take, grant, ended, at } = setup({ maxHoldMs: 5_000 });
    await take('first');
    grant('first').throttled(retryAfterMs);
    void take('held');
    void take('other app', { identity: A2 });
    await at(next - 1);
    expect(ended).toEqual(['first granted 1 at 0', 'other app granted 1 at 0']);
    await at(next);
    expect(ended.at(-1)).toBe(`held granted 1 at ${next}`);
  });

  it('when a hold ends, the waiters go one at a time, about a gap apart with jitter, never all at once', async () => {
    const { pacer, take, ended, at } = setup({ randoms: [0, 0.5, 0.999] });
    pacer.block(A, Date.now() + 1_000);
    for (const name of ['w1', 'w2', 'w3', 'w4']) void take(name);
    await at(2_000);
    // Ten writes a window: a gap of 100 ms; half a gap (random 0), one gap (0.5), 1.499 gaps (0.999).
    expect(ended).toEqual([
      'w1 granted 1 at 1000',
      'w2 granted 1 at 1050',
      'w3 granted 1 at 1150',
      'w4 granted 1 at 1299',
    ]);
  });

  it('a 429 halves the app write limit; each window since without one gives a step back', async () => {
    const { take, grant, ended, at, changes } = setup();
    await take('burst', { max: 10 });
    grant('burst').throttled(100);
    await at(1_100);
    await take('lowered', { max: 10 });
    await at(3_100);
    await take('raised', { max: 10 });
    expect(ended).toEqual([
      'burst granted 10 at 0',
      // Halved at 0, a step back for the window since.
      'lowered granted 6 at 1100',
      'raised granted 8 at 3100',
    ]);
    expect(changes.map(({ limit, cause }) => `${cause} ${limit}`)).toEqual([
      'throttled 5',
      'raised 6',
      'raised 8',
    ]);
  });

  it('429s for calls granted before the limit was lowered lower it once', async () => {
    const { take, grant, changes } = setup();
    await take('a');
    await take('b');
    grant('a').throttled(100);
    grant('b').throttled(100);
    expect(changes.map(({ limit }) => limit)).toEqual([5]);
  });
});

describe('quota pacer: tokens Graph has not accepted', () => {
  it('wait at their tenant’s gate, not in its queue: a proven take behind them goes first', async () => {
    const { take, grant, ended, at } = setup();
    await take('fill', { max: 10 });
    await at(10);
    void take('u1', { proven: false });
    void take('u2', { proven: false });
    void take('u3', { proven: false });
    await at(20);
    void take('proven');
    await at(1_000);
    // u1 and u2 hold the gate's two places; u3 waits there, not in the queue, so it is not served at 1000.
    expect(ended.slice(1)).toEqual([
      'u1 granted 1 at 1000',
      'u2 granted 1 at 1000',
      'proven granted 1 at 1000',
    ]);
    await at(1_200);
    grant('u1').done();
    await at(1_200);
    expect(ended.at(-1)).toBe('u3 granted 1 at 1200');
  });

  it('a 401 gives the budget back and wakes the queue at once', async () => {
    const { take, grant, ended, at } = setup();
    await take('fill', { max: 10 });
    await at(10);
    void take('waiting');
    await at(300);
    grant('fill').release(1);
    await at(300);
    expect(ended).toEqual(['fill granted 10 at 0', 'waiting granted 1 at 300']);
  });

  it('a burst of forged calls, each refused by Graph, never holds more than the gate; the victim goes at once', async () => {
    const { take, grant, ended, at } = setup();
    await take('victim-before', { max: 5 });
    const forged = Array.from({ length: 50 }, (_, index) =>
      take(`forged-${index}`, { proven: false }).then((outcome) => {
        // Graph answers 401 a few ms later: budget back, place free.
        if (isQuotaGrant(outcome))
          setTimeout(() => {
            grant(`forged-${index}`).release();
            grant(`forged-${index}`).done();
          }, 5);
      }),
    );
    await at(12);
    await take('victim', { max: 3 });
    await at(200);
    await Promise.all(forged);
    const victim = ended.indexOf('victim granted 3 at 12');
    expect(victim).toBeGreaterThan(0);
    // Two forged calls at a time, 5 ms each: by 12 ms at most six were served before the victim.
    expect(ended.slice(0, victim).filter((line) => line.startsWith('forged'))).toHaveLength(6);
    expect(
      ended.filter((line) => line.startsWith('forged')).every((line) => line.includes('granted 1')),
    ).toBe(true);
  });
});

describe('quota pacer: a 429 answered to a token Graph has not accepted', () => {
  it.each<[string, number | undefined, number]>([
    // name, Retry-After in ms, when the token's next take goes
    ["Graph's Retry-After", 300, 300],
    ['without one: a whole window', undefined, 1_000],
    ['a day: capped at maxHoldMs', 86_400_000, 5_000],
  ])(
    '%s holds that token only: the tenant and app go on at once, at their limit',
    async (_name, retryAfterMs, next) => {
      const { take, grant, ended, at, changes } = setup({ maxHoldMs: 5_000 });
      await take('forged', { proven: false, token: 'forged' });
      // As settleBudget does for an unproven token's 429: its budget back, the token held, its gate place free.
      grant('forged').release();
      grant('forged').throttled(retryAfterMs);
      grant('forged').done();
      void take('forged again', { proven: false, token: 'forged' });
      await take('proven', { max: 9, token: 'genuine' });
      await take('other unproven', { proven: false, token: 'new' });
      await at(next - 1);
      expect(ended).toEqual([
        'forged granted 1 at 0',
        // The app's whole limit of 10 in the window, the forged call's given back: not halved, not held.
        'proven granted 9 at 0',
        'other unproven granted 1 at 0',
      ]);
      expect(changes).toEqual([]);
      await at(Math.max(next, 1_000));
      // Its hold over, the token waits for room like any take: the window is full until 1000.
      expect(ended.at(-1)).toBe(`forged again granted 1 at ${Math.max(next, 1_000)}`);
    },
  );

  it('a take of the held token whose deadline comes first is refused at once, told when the hold ends; others go', async () => {
    const { take, grant, ended, at } = setup();
    await take('forged', { proven: false, token: 'forged' });
    grant('forged').throttled(2_000);
    await at(500);
    await take('too soon', { proven: false, token: 'forged', deadlineIn: 1_000 });
    await take('proven', { token: 'genuine', deadlineIn: 1_000 });
    expect(ended.slice(1)).toEqual([
      'too soon refused (retry in 1500) at 500',
      'proven granted 1 at 500',
    ]);
  });

  it('proven by the time Graph answers (trusted): the tenant and app hold and their limit halves, as for any 429', async () => {
    const { take, grant, ended, at, changes } = setup();
    await take('new', { proven: false, token: 'new' });
    grant('new').throttled(300, true);
    void take('proven', { token: 'genuine' });
    await at(299);
    expect(ended).toEqual(['new granted 1 at 0']);
    await at(300);
    expect(ended.at(-1)).toBe('proven granted 1 at 300');
    expect(changes.map(({ limit, cause }) => `${cause} ${limit}`)).toEqual(['throttled 5']);
  });

  it('a proven take told its token is not trusted (its proof forgotten) holds only its token', async () => {
    const { take, grant, ended, changes } = setup();
    await take('a', { token: 'a' });
    grant('a').throttled(300, false);
    await take('b', { token: 'b' });
    expect(ended).toEqual(['a granted 1 at 0', 'b granted 1 at 0']);
    expect(changes).toEqual([]);
  });
});
