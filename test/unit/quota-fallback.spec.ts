import {
  createMemoryQuotaStore,
  createQuotaPacer,
  INTUNE_QUOTA_LIMITS,
  QuotaStoreTimeoutError,
  replicaShare,
} from '../../src/graph/quota';
import type { QuotaLimits, QuotaStore, QuotaStoreResult } from '../../src/graph/quota';
import { isQuotaStoreError, QuotaStoreError } from '../../src/graph/quota/store';
import type { QuotaRecord } from '../../src/graph/quota/store';
import { UNIT_LIMITS, A, A2 } from '../helpers/quota';

/**
 * A shared store that can be made to fail, hang or restart empty: a real in-process store behind a switch, standing
 * in for Redis so the switching logic is tested with exact times (the real Redis is in test/integration). Like the
 * Redis store it names each grant's entries and, on `restore`, writes back only those it does not hold.
 */
function createSwitchableStore(now: () => number) {
  const state = {
    mode: 'up' as 'up' | 'down' | 'hang',
    calls: 0,
    pings: 0,
    inner: createMemoryQuotaStore({ now }),
    /** Entry names the inner store holds, and the records written back to it. */
    held: new Set<string>(),
    restored: [] as QuotaRecord[],
  };
  let ids = 0;
  const watchers: Array<(error: QuotaStoreError) => void> = [];
  const gate = <T>(work: () => Promise<T>): Promise<T> => {
    state.calls += 1;
    if (state.mode === 'down')
      return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    if (state.mode === 'hang') return new Promise<T>(() => {});
    return work();
  };
  const named = (result: QuotaStoreResult): QuotaStoreResult => {
    if (result.granted === 0) return result;
    const id = `s${(ids += 1)}:`;
    state.held.add(id);
    return { ...result, id };
  };
  const store: QuotaStore = {
    shared: true,
    take: (request) => gate(async () => named(await state.inner.take(request))),
    block: (identity, ms) => gate(() => state.inner.block(identity, ms)),
    ping: () => gate(() => Promise.resolve(void (state.pings += 1))),
    restore: (records) =>
      gate(() => {
        let added = 0;
        for (const record of records) {
          state.restored.push(record);
          if (state.held.has(record.id)) continue;
          state.held.add(record.id);
          state.inner.recordNow(
            { ...record, max: record.count },
            record.count,
            now() - record.ageMs,
          );
          added += record.count;
        }
        return Promise.resolve(added);
      }),
    watch: (listener) => void watchers.push(listener),
    close: () => state.inner.close(),
  };
  /** The connection drops: the store says so before any take fails. */
  const drop = () => {
    for (const watcher of watchers)
      watcher(new QuotaStoreError('connection lost to 127.0.0.1:6379', 'unreachable'));
  };
  /** As a Redis restarted without persistence: nothing held. */
  const restart = () => {
    state.inner = createMemoryQuotaStore({ now });
    state.held.clear();
  };
  return { store, state, restart, drop };
}

function setup(limits: QuotaLimits = UNIT_LIMITS, replicas?: number, marginMs?: number) {
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
    ...(marginMs === undefined ? {} : { marginMs }),
    hooks: {
      storeError: (error) => errors.push(error),
      fallback: (active) => events.push(active ? 'fallback on' : 'fallback off'),
    },
  });
  const take = (max = 1, deadlineIn = 30_000, identity = A) =>
    pacer.take({ identity, kind: 'write', max, deadline: Date.now() + deadlineIn });
  /** Another replica's take, straight into the shared store. */
  const elsewhere = (max: number, identity = A) =>
    shared.state.inner.takeNow({ identity, kind: 'write', max, limits });
  return { shared, events, errors, pacer, take, elsewhere };
}

afterEach(() => jest.useRealTimers());

describe('createQuotaPacer with a shared store', () => {
  it('takes from the shared store while it answers', async () => {
    const { shared, take, events } = setup();
    expect(await take(2)).toMatchObject({ granted: 2, shared: true });
    expect(shared.state.calls).toBe(1);
    expect(events).toEqual([]);
  });

  it('a failing store: served in-process at once, then probed on its own timer, with no call needed', async () => {
    const { shared, take, events, errors } = setup();
    shared.state.mode = 'down';
    expect(await take()).toMatchObject({ granted: 1, waitedMs: 0, shared: false });
    expect(await take()).toMatchObject({ granted: 1, shared: false });
    expect(events).toEqual(['fallback on']);
    // While falling back, calls do not touch the store: only the probe does, once per interval.
    expect(shared.state.calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(shared.state.calls).toBe(2);
    expect(errors).toHaveLength(2);
    shared.state.mode = 'up';
    await jest.advanceTimersByTimeAsync(1_000);
    expect(shared.state.pings).toBe(1);
    expect(events).toEqual(['fallback on', 'fallback off']);
    expect(await take()).toMatchObject({ shared: true });
  });

  it('a dropped connection is an outage before any take fails: calls all waiting still learn of it', async () => {
    const { shared, take, events, errors } = setup();
    shared.state.mode = 'down';
    shared.drop();
    expect(events).toEqual(['fallback on']);
    expect(errors).toMatchObject([{ message: 'connection lost to 127.0.0.1:6379' }]);
    expect(await take()).toMatchObject({ granted: 1, shared: false });
    expect(shared.state.calls).toBe(0);
  });

  it('the probe timer is cleared on close: nothing keeps running', async () => {
    const { shared, take, pacer } = setup();
    shared.state.mode = 'down';
    await take();
    expect(jest.getTimerCount()).toBe(1);
    await pacer.close();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(shared.state.calls).toBe(1);
  });

  it('a hanging store costs one take the store timeout, then falls back, naming the cause', async () => {
    const { shared, take, events, errors } = setup();
    shared.state.mode = 'hang';
    const first = take();
    // The timeout is read one timer later (1 ms), after any answer that arrived meanwhile.
    await jest.advanceTimersByTimeAsync(201);
    expect(await first).toMatchObject({ granted: 1, waitedMs: 201, shared: false });
    expect(errors[0]).toBeInstanceOf(QuotaStoreTimeoutError);
    expect(errors[0]).toMatchObject({ message: 'timeout after 200 ms', reason: 'timeout' });
    expect(await take()).toMatchObject({ granted: 1, waitedMs: 0, shared: false });
    expect(events).toEqual(['fallback on']);
  });

  it.each([
    ['a refused connection', new Error('connect ECONNREFUSED 127.0.0.1:6379')],
    ['a string', 'boom'],
  ])('%s is reported as a store error with a message of its own', async (_, thrown) => {
    const { shared, take, errors } = setup();
    shared.store.take = () =>
      new Promise((_, reject) => {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a store may reject with anything
        reject(thrown);
      });
    await take();
    expect(isQuotaStoreError(errors[0])).toBe(true);
    expect(String((errors[0] as Error).message)).not.toContain('[object');
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
      await shared.state.inner.take({ identity: A, kind: 'read', max: 1, limits: UNIT_LIMITS }),
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
      await shared.state.inner.take({ identity: A, kind: 'write', max: 5, limits: UNIT_LIMITS }),
    ).toMatchObject({ granted: 2 });
  });
});

describe('coming back: what was granted meanwhile is written into the shared store first', () => {
  /** A window longer than the probe interval, so that what was granted is still in it at the first probe. */
  const LIMITS: QuotaLimits = {
    windowMs: 5_000,
    appWrites: 10,
    tenantWrites: 20,
    appCalls: 100,
    tenantCalls: 200,
  };

  it('in-process grants are written back before the replica takes from the store again', async () => {
    const { shared, take, events, elsewhere } = setup(LIMITS);
    shared.state.mode = 'down';
    expect(await take(3)).toMatchObject({ granted: 3, shared: false });
    await jest.advanceTimersByTimeAsync(300);
    shared.state.mode = 'up';
    await jest.advanceTimersByTimeAsync(700);
    expect(events).toEqual(['fallback on', 'fallback off']);
    expect(shared.state.restored).toMatchObject([{ count: 3, ageMs: 1_000, kind: 'write' }]);
    // Another replica sees them: 7 of 10 left, until they expire one window after they were granted.
    expect(elsewhere(10)).toMatchObject({ granted: 7 });
  });

  it.each([
    ['back empty: the grants it lost are written again', true],
    ['back with what it held: nothing is added twice', false],
  ])('a store %s', async (_, empty) => {
    const { shared, take, elsewhere } = setup(LIMITS);
    expect(await take(4)).toMatchObject({ granted: 4, shared: true });
    shared.state.mode = 'down';
    await jest.advanceTimersByTimeAsync(100);
    expect(await take(1)).toMatchObject({ granted: 1, shared: false });
    if (empty) shared.restart();
    shared.state.mode = 'up';
    await jest.advanceTimersByTimeAsync(1_000);
    // The shared grant and the in-process one, both written back.
    expect(shared.state.restored.map((record) => record.count)).toEqual([4, 1]);
    expect(elsewhere(10)).toMatchObject({ granted: 5 });
  });

  it('an attempt that ends late dates its shared entries, their mirror and their record later', async () => {
    const { shared, take, elsewhere } = setup(LIMITS, undefined, 200);
    const grant = await take(4);
    if (!('granted' in grant)) throw new Error('expected a grant');
    // Answered 1 s after its take, with a margin of 200 ms: it may have reached Graph 800 ms after its grant.
    await jest.advanceTimersByTimeAsync(1_000);
    grant.done();
    await jest.advanceTimersByTimeAsync(0);
    // Another replica: 6 left, and the next frees at 50,800 + 5,000, not 55,000.
    expect(elsewhere(10)).toMatchObject({ granted: 6 });
    expect(elsewhere(1)).toMatchObject({ granted: 0, waitMs: 4_800 });
    shared.state.mode = 'down';
    expect(await take(1)).toMatchObject({ granted: 1, shared: false });
    shared.restart();
    shared.state.mode = 'up';
    await jest.advanceTimersByTimeAsync(1_000);
    // Written back 1.2 s old (from 50,800), not 2 s; the in-process grant as it was.
    expect(shared.state.restored).toMatchObject([
      { count: 4, ageMs: 1_200 },
      { count: 1, ageMs: 1_000 },
    ]);
  });

  it('in-process, the mirror of a grant that ended late frees its places late too', async () => {
    const { shared, take } = setup(LIMITS, undefined, 200);
    const grant = await take(4);
    if (!('granted' in grant)) throw new Error('expected a grant');
    await jest.advanceTimersByTimeAsync(1_000);
    grant.done();
    shared.state.mode = 'down';
    expect(await take(6)).toMatchObject({ granted: 6, shared: false });
    const next = take(1);
    await jest.advanceTimersByTimeAsync(4_800);
    expect(await next).toMatchObject({ granted: 1, waitedMs: 4_800, shared: false });
  });

  it('released budget is not written back', async () => {
    const { shared, take } = setup(LIMITS);
    shared.state.mode = 'down';
    const grant = await take(3);
    if (!('granted' in grant)) throw new Error('expected a grant');
    grant.release(2);
    shared.state.mode = 'up';
    await jest.advanceTimersByTimeAsync(1_000);
    expect(shared.state.restored.map((record) => record.count)).toEqual([1]);
  });

  it('a block set while the store was down holds on the store once it is back', async () => {
    const { shared, pacer } = setup(LIMITS);
    shared.state.mode = 'down';
    pacer.block(A, Date.now() + 5_000);
    await jest.advanceTimersByTimeAsync(0);
    shared.state.mode = 'up';
    await jest.advanceTimersByTimeAsync(1_000);
    const other = shared.state.inner.takeNow({ identity: A, kind: 'read', max: 1, limits: LIMITS });
    expect(other).toMatchObject({ granted: 0, waitMs: 4_000, shortOf: ['block'] });
  });

  it('while the store is down at the probe, nothing is written and the replica stays in-process', async () => {
    const { shared, take, events } = setup(LIMITS);
    shared.state.mode = 'down';
    await take(2);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(shared.state.restored).toEqual([]);
    expect(events).toEqual(['fallback on']);
  });
});

describe('the fallback share knows the past (docs/quotas.md, "Redis outages")', () => {
  /** 30 writes per app and window, shared by three replicas: 10 each once the last window seen has passed. */
  const LIMITS: QuotaLimits = {
    windowMs: 1_000,
    appWrites: 30,
    tenantWrites: 60,
    appCalls: 300,
    tenantCalls: 600,
  };

  it('uneven traffic, then an outage: a share of what was left, not of the whole window', async () => {
    const { shared, take, elsewhere } = setup(LIMITS, 3);
    // Another replica sent 24, this one 3, and saw the window at 27 of 30.
    expect(elsewhere(24)).toMatchObject({ granted: 24 });
    expect(await take(3)).toMatchObject({ granted: 3, shared: true });
    shared.state.mode = 'down';
    // A third of the 3 left: 1. Not 10 - 3 = 7, its share of the whole window.
    expect(await take(50)).toMatchObject({ granted: 1, shared: false });
    expect(await take(1, 500)).toMatchObject({ refused: true, retryAfterMs: 1_000 });
    // One window after it last saw it, every entry it saw has expired: its share, 10.
    const later = take(50);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await later).toMatchObject({ granted: 10, waitedMs: 1_000, shared: false });
  });

  it('its own entries that expire are credited back', async () => {
    const { shared, take, elsewhere } = setup(LIMITS, 3);
    expect(await take(6)).toMatchObject({ granted: 6, shared: true });
    await jest.advanceTimersByTimeAsync(500);
    expect(elsewhere(24)).toMatchObject({ granted: 24 });
    expect(await take(1, 10)).toMatchObject({ refused: true });
    shared.state.mode = 'down';
    await jest.advanceTimersByTimeAsync(100);
    // Still full as it saw it (30 of 30), its own six still live: nothing.
    expect(await take(1, 10)).toMatchObject({ refused: true });
    // Its own six leave the window (at 1,000 ms), the other replica's stay: room for those six only.
    const later = take(50, 5_000);
    await jest.advanceTimersByTimeAsync(400);
    expect(await later).toMatchObject({ granted: 6, waitedMs: 400, shared: false });
  });

  it('a window not seen within one window before the outage: it waits that window out, then its share', async () => {
    const { shared, take } = setup(LIMITS, 3);
    shared.state.mode = 'down';
    const first = take(50, 5_000);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await first).toMatchObject({ granted: 10, waitedMs: 1_000, shared: false });
  });

  it('one replica: its own entries are all there is, the full limits at once', async () => {
    const { shared, take } = setup(LIMITS);
    shared.state.mode = 'down';
    expect(await take(50)).toMatchObject({ granted: 30, shared: false });
  });

  it('just back: a take needs room under the fallback rule too, until the others are surely back', async () => {
    const { shared, take, events } = setup(LIMITS, 3);
    shared.state.mode = 'down';
    expect(await take(1, 10)).toMatchObject({ refused: true });
    await jest.advanceTimersByTimeAsync(1_000);
    shared.state.mode = 'up';
    await jest.advanceTimersByTimeAsync(1_000);
    expect(events).toEqual(['fallback on', 'fallback off']);
    // Back on the store, but others may not have written theirs yet: its share, 10, granted by the store.
    expect(await take(50)).toMatchObject({ granted: 10, shared: true });
    expect(shared.state.inner.live('igg:q:{' + A.tenant + '}:' + A.app + ':w', 1_000)).toBe(10);
    // Another app: its share as well, its window not seen before the outage has passed too.
    expect(await take(50, 30_000, A2)).toMatchObject({ granted: 10, shared: true });
    // 2 × probe interval + timeout later, the store alone decides: the full 30.
    await jest.advanceTimersByTimeAsync(2_200);
    expect(await take(50)).toMatchObject({ granted: 30, shared: true });
  });

  it('Redis lost again while returning: a new outage, windows not seen are waited out again', async () => {
    const { shared, take, events } = setup(LIMITS, 3);
    shared.state.mode = 'down';
    expect(await take(1, 10)).toMatchObject({ refused: true });
    await jest.advanceTimersByTimeAsync(1_000);
    shared.state.mode = 'up';
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await take(1)).toMatchObject({ granted: 1, shared: true });
    shared.state.mode = 'down';
    // Another app: replicas already back on Redis may have filled its window since the first outage.
    expect(await take(1, 500, A2)).toMatchObject({ refused: true, retryAfterMs: 1_000 });
    expect(events).toEqual(['fallback on', 'fallback off', 'fallback on']);
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
