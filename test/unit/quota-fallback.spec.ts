import {
  createMemoryQuotaStore,
  createQuotaPacer,
  INTUNE_QUOTA_LIMITS,
  QuotaStoreTimeoutError,
  replicaShare,
} from '../../src/graph/quota';
import type { QuotaLimits, QuotaStore } from '../../src/graph/quota';
import { UNIT_LIMITS, A } from '../helpers/quota';

/**
 * A shared store that can be made to fail or hang: a real in-process store behind a switch, standing in for
 * Redis here so the switching logic is tested with exact times (the real Redis is in test/integration).
 */
function createSwitchableStore(now: () => number) {
  const inner = createMemoryQuotaStore({ now });
  const state = { mode: 'up' as 'up' | 'down' | 'hang', calls: 0 };
  const gate = <T>(work: () => Promise<T>): Promise<T> => {
    state.calls += 1;
    if (state.mode === 'down')
      return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    if (state.mode === 'hang') return new Promise<T>(() => {});
    return work();
  };
  const store: QuotaStore = {
    shared: true,
    take: (request) => gate(() => inner.take(request)),
    block: (identity, ms) => gate(() => inner.block(identity, ms)),
    ping: () => gate(async () => {}),
    close: () => inner.close(),
  };
  return { store, state, inner };
}

function setup(limits: QuotaLimits = UNIT_LIMITS, replicas?: number) {
  jest.useFakeTimers({ now: 50_000 });
  const shared = createSwitchableStore(Date.now);
  const events: string[] = [];
  const errors: unknown[] = [];
  const pacer = createQuotaPacer({
    limits,
    store: shared.store,
    storeTimeoutMs: 200,
    probeIntervalMs: 1_000,
    ...(replicas === undefined ? {} : { replicas }),
    hooks: {
      storeError: (error) => errors.push(error),
      fallback: (active) => events.push(active ? 'fallback on' : 'fallback off'),
    },
  });
  const take = (max = 1, deadlineIn = 30_000) =>
    pacer.take({ identity: A, kind: 'write', max, deadline: Date.now() + deadlineIn });
  return { shared, events, errors, pacer, take };
}

afterEach(() => jest.useRealTimers());

describe('createQuotaPacer with a shared store', () => {
  it('takes from the shared store while it answers', async () => {
    const { shared, take, events } = setup();
    expect(await take(2)).toMatchObject({ granted: 2, shared: true });
    expect(shared.state.calls).toBe(1);
    expect(events).toEqual([]);
  });

  it('a failing store: served in-process at once, fallback(true) once, back after a successful probe', async () => {
    const { shared, take, events, errors } = setup();
    shared.state.mode = 'down';
    expect(await take()).toMatchObject({ granted: 1, waitedMs: 0, shared: false });
    expect(await take()).toMatchObject({ granted: 1, shared: false });
    expect(events).toEqual(['fallback on']);
    expect(errors).toHaveLength(1);
    // While falling back, requests do not touch the store; only a probe does, once per interval.
    expect(shared.state.calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1_000);
    await take();
    await jest.advanceTimersByTimeAsync(0);
    expect(shared.state.calls).toBe(2);
    expect(errors).toHaveLength(2);
    shared.state.mode = 'up';
    await take();
    expect(events).toEqual(['fallback on']);
    await jest.advanceTimersByTimeAsync(1_000);
    await take();
    await jest.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['fallback on', 'fallback off']);
    expect(await take()).toMatchObject({ shared: true });
  });

  it('a hanging store costs one take at most the store timeout, then falls back', async () => {
    const { shared, take, events, errors } = setup();
    shared.state.mode = 'hang';
    const started = Date.now();
    const first = take();
    await jest.advanceTimersByTimeAsync(200);
    expect(await first).toMatchObject({ granted: 1, waitedMs: 200, shared: false });
    expect(Date.now() - started).toBe(200);
    expect(errors[0]).toBeInstanceOf(QuotaStoreTimeoutError);
    expect(await take()).toMatchObject({ granted: 1, waitedMs: 0, shared: false });
    expect(events).toEqual(['fallback on']);
  });

  it('grants from the shared store are mirrored in-process: falling back keeps this replica under the limit', async () => {
    const { shared, take } = setup();
    expect(await take(2)).toMatchObject({ granted: 2, shared: true });
    shared.state.mode = 'down';
    const outcome = take();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await outcome).toMatchObject({ granted: 1, waitedMs: 1_000, shared: false });
  });

  it('a block reaches the shared store, and the in-process one too', async () => {
    const { shared, pacer, take } = setup();
    pacer.block(A, Date.now() + 700);
    await jest.advanceTimersByTimeAsync(0);
    expect(
      await shared.inner.take({ identity: A, kind: 'read', max: 1, limits: UNIT_LIMITS }),
    ).toMatchObject({ granted: 0, waitMs: 700 });
    shared.state.mode = 'down';
    const outcome = take();
    await jest.advanceTimersByTimeAsync(700);
    expect(await outcome).toMatchObject({ granted: 1, waitedMs: 700, shared: false });
  });

  it('release removes the grant from the shared store and its mirror', async () => {
    const { shared, take } = setup();
    const grant = await take(2);
    if (!('granted' in grant)) throw new Error('expected a grant');
    grant.release();
    await jest.advanceTimersByTimeAsync(0);
    expect(
      await shared.inner.take({ identity: A, kind: 'write', max: 5, limits: UNIT_LIMITS }),
    ).toMatchObject({ granted: 2 });
  });
});

describe("replicaShare: one replica's part of the limits while it cannot see the others", () => {
  const share = (limits: QuotaLimits) => [
    limits.appWrites,
    limits.tenantWrites,
    limits.appCalls,
    limits.tenantCalls,
  ];
  it.each<[number, number[]]>([
    // replicas, then app writes, tenant writes, app calls, tenant calls of Intune's 100/200/1000/2000
    [1, [100, 200, 1_000, 2_000]],
    [2, [50, 100, 500, 1_000]],
    [3, [33, 66, 333, 666]],
    [7, [14, 28, 142, 285]],
    [150, [1, 1, 6, 13]],
    [1_000, [1, 1, 1, 2]],
    [5_000, [1, 1, 1, 1]],
  ])('%i replicas: %j, never 0', (replicas, expected) => {
    const limits = replicaShare(INTUNE_QUOTA_LIMITS, replicas);
    expect(share(limits)).toEqual(expected);
    expect(limits.windowMs).toBe(INTUNE_QUOTA_LIMITS.windowMs);
    // Together they stay within the limit, unless each one's 1 is already more.
    share(limits).forEach((part, index) =>
      expect(part * replicas <= share(INTUNE_QUOTA_LIMITS)[index]! || part === 1).toBe(true),
    );
  });
});

describe('createQuotaPacer with a shared store and replicas: the share while falling back', () => {
  /** 30 writes per app and window, shared by three replicas: 10 each while they cannot see each other. */
  const LIMITS: QuotaLimits = {
    windowMs: 1_000,
    appWrites: 30,
    tenantWrites: 60,
    appCalls: 300,
    tenantCalls: 600,
  };

  it('the full limits while the store answers, the share while it does not, the full limits once it is back', async () => {
    const { shared, take, events } = setup(LIMITS, 3);
    expect(await take(50)).toMatchObject({ granted: 30, shared: true });
    await jest.advanceTimersByTimeAsync(1_000);
    shared.state.mode = 'down';
    expect(await take(50)).toMatchObject({ granted: 10, shared: false });
    expect(await take(50, 500)).toMatchObject({ refused: true, retryAfterMs: 1_000 });
    shared.state.mode = 'up';
    await jest.advanceTimersByTimeAsync(1_000);
    await take(50);
    await jest.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['fallback on', 'fallback off']);
    // Shared again: what the other replicas may use too, not this replica's share.
    expect(await take(50)).toMatchObject({ granted: 30, shared: true });
  });

  it('what it sent through the shared store counts against its share when it falls back', async () => {
    const { shared, take } = setup(LIMITS, 3);
    expect(await take(25)).toMatchObject({ granted: 25, shared: true });
    shared.state.mode = 'down';
    // 25 of its own calls in the window, over its share of 10: nothing until they have expired.
    expect(await take(1, 500)).toMatchObject({ refused: true, retryAfterMs: 1_000 });
    const later = take(50);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await later).toMatchObject({ granted: 10, waitedMs: 1_000, shared: false });
  });

  it('replicas 1 (the default) falls back to the full limits', async () => {
    const { shared, take } = setup(LIMITS);
    shared.state.mode = 'down';
    expect(await take(50)).toMatchObject({ granted: 30, shared: false });
  });

  it('without a shared store, the full limits whatever the replica count', async () => {
    jest.useFakeTimers({ now: 50_000 });
    const pacer = createQuotaPacer({ limits: LIMITS, replicas: 3 });
    const outcome = await pacer.take({ identity: A, kind: 'write', max: 50, deadline: Infinity });
    expect(outcome).toMatchObject({ granted: 30, shared: false });
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses to start with %p replicas', (replicas) => {
    expect(() => createQuotaPacer({ limits: LIMITS, replicas })).toThrow(RangeError);
  });
});
