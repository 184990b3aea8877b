import Redis from 'ioredis';
import { createQuotaPacer } from '../../src/graph/quota';
import type { QuotaLimits } from '../../src/graph/quota';
import type { QuotaStoreError } from '../../src/graph/quota/store';
import { APP_1, REDIS_LIMITS, TENANT, createQuotaReplicas, waitFor } from '../helpers/quota';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import { redisQuotaStore } from '../helpers/redis-store';
import { startRedisCluster } from '../helpers/redis-topologies';
import type { TestCluster } from '../helpers/redis-topologies';

/**
 * What a healthy connection does not tell: a Redis over `maxmemory` (the recommended `noeviction` refuses writes),
 * and a Redis that lost the windows without dropping the connection (`FLUSHALL`, an eviction). Both found by the
 * Redis probe of 2026-12-06: a full Redis let takes grant and write while the scripts for late calls, write-backs
 * and holds were refused (5 calls over), and a flush mid-window let the replicas grant the window again (10 over).
 */

/** Windows long enough that what a replica granted is still in them when it writes it back. */
const LONG_LIMITS: QuotaLimits = { ...REDIS_LIMITS, windowMs: 10_000 };
const APP_1_WRITES = `igg:q:{${TENANT}}:${APP_1.app}:w`;
const TENANT_CALLS = `igg:q:{${TENANT}}:c`;

let redis: TestRedis;
let inspector: Redis;
const long = createQuotaReplicas(() => redis.url, LONG_LIMITS);
const short = createQuotaReplicas(() => redis.url, REDIS_LIMITS);

beforeAll(async () => {
  redis = await startRedis();
  inspector = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  inspector.on('error', () => {});
});
afterEach(async () => {
  await Promise.all([long.closeAll(), short.closeAll()]);
  await inspector.config('SET', 'maxmemory', '256mb');
  await inspector.flushall();
  await inspector.acl('DELUSER', 'gateway');
});
afterAll(async () => {
  inspector.disconnect();
  await redis.stop();
});

function recorder() {
  const events: string[] = [];
  const errors: string[] = [];
  const reasons: string[] = [];
  const hooks = {
    fallback: (active: boolean) => events.push(active ? 'fallback on' : 'fallback off'),
    storeError: (error: unknown) => {
      errors.push((error as Error).message);
      reasons.push((error as QuotaStoreError).reason);
    },
  };
  return { events, errors, reasons, hooks };
}

/** Redis over its memory limit: `noeviction` (the default policy) refuses every command that may grow memory. */
const fill = () => inspector.config('SET', 'maxmemory', '1');
const free = () => inspector.config('SET', 'maxmemory', '256mb');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a Redis that is full, or lost the windows, on a healthy connection', () => {
  it('full: a take is refused whole (nothing written) and the replica falls back until Redis takes writes again', async () => {
    const { events, errors, reasons, hooks } = recorder();
    const { take } = await long.replica({ probeIntervalMs: 100, hooks });
    expect(await take(APP_1, 'write', 2)).toMatchObject({ granted: 2, shared: true });
    await fill();
    // Before: the take script wrote first (expired entries out), so Redis let it grant and write under OOM.
    expect(await take(APP_1, 'write', 1)).toMatchObject({ granted: 1, shared: false });
    expect(events).toEqual(['fallback on']);
    expect(errors[0]).toMatch(/^Redis at 127\.0\.0\.1:\d+: OOM command not allowed/);
    expect(reasons[0]).toBe('full');
    expect(await inspector.zcard(APP_1_WRITES)).toBe(2);
    // Redis answers PING while full: the probe asks whether it would run a take, and it would not.
    await waitFor(() => errors.length >= 3, 5_000);
    expect(events).toEqual(['fallback on']);
    await free();
    await waitFor(() => events.length === 2, 5_000);
    // The grant made in-process is written back with the two from before.
    expect(await inspector.zcard(APP_1_WRITES)).toBe(3);
    expect(await take(APP_1, 'write', 1)).toMatchObject({ granted: 1, shared: true });
  });

  it('full: a second replica falls back too at its next take, and a hold set meanwhile reaches Redis on return', async () => {
    const first = recorder();
    const second = recorder();
    const a = await long.replica({ probeIntervalMs: 100, hooks: first.hooks });
    const b = await long.replica({ probeIntervalMs: 100, hooks: second.hooks });
    expect(await a.take(APP_1, 'write', 1)).toMatchObject({ shared: true });
    expect(await b.take(APP_1, 'write', 1)).toMatchObject({ shared: true });
    await fill();
    a.pacer.block(APP_1, Date.now() + 5_000);
    expect(await b.take(APP_1, 'read', 1)).toMatchObject({ granted: 1, shared: false });
    await waitFor(() => first.events.length === 1, 2_000);
    expect([first.events, second.events]).toEqual([['fallback on'], ['fallback on']]);
    expect(await inspector.exists(`igg:q:{${TENANT}}:${APP_1.app}:b`)).toBe(0);
    await free();
    await waitFor(() => first.events.length === 2 && second.events.length === 2, 5_000);
    expect(await inspector.pttl(`igg:q:{${TENANT}}:${APP_1.app}:b`)).toBeGreaterThan(3_000);
    expect(await b.take(APP_1, 'read', 1, 100)).toMatchObject({ refused: true });
  });

  it('an ACL user that may run the scripts but not PING comes back from a fallback', async () => {
    await inspector.acl('SETUSER', 'gateway', 'on', '>pw', '~igg:q:*', '+@all', '-ping');
    const { events, hooks } = recorder();
    const url = redis.url.replace('redis://', 'redis://gateway:pw@');
    const limited = createQuotaReplicas(() => url, LONG_LIMITS);
    try {
      const { take } = await limited.replica({ probeIntervalMs: 100, hooks });
      expect(await take(APP_1, 'write', 1)).toMatchObject({ shared: true });
      await fill();
      expect(await take(APP_1, 'write', 1)).toMatchObject({ shared: false });
      await free();
      // Before: the probe was PING, refused (NOPERM) every time: this replica never took from Redis again.
      await waitFor(() => events.length === 2, 5_000);
      expect(await take(APP_1, 'write', 1)).toMatchObject({ shared: true });
      expect(await inspector.zcard(APP_1_WRITES)).toBe(3);
    } finally {
      await limited.closeAll();
    }
  });

  it.each<[string, number]>([
    // the command refused, and the writes another replica sends first (ZRANGE runs only on a full window)
    ['-get', 0],
    ['-pexpire', 0],
    ['-zrange', LONG_LIMITS.appWrites],
  ])(
    'an ACL user refused %s, which a take needs: one fallback, no return and fall again at every probe',
    async (refused, before) => {
      await inspector.acl('SETUSER', 'gateway', 'on', '>pw', '~igg:q:*', '+@all', refused);
      const { events, errors, hooks } = recorder();
      const url = redis.url.replace('redis://', 'redis://gateway:pw@');
      const limited = createQuotaReplicas(() => url, LONG_LIMITS);
      try {
        const { take } = await limited.replica({ probeIntervalMs: 100, hooks });
        if (before > 0) {
          const { take: other } = await long.replica();
          expect(await other(APP_1, 'write', before)).toMatchObject({ granted: before });
        }
        expect(await take(APP_1, 'write', 1, 100)).toMatchObject({ shared: false });
        expect(errors[0]).toMatch(/can't run this command/);
        // The probe runs each command a take may run: refused the same way, it keeps the replica out (before: a
        // probe that did not, passed, and the replica came back and fell again twice a second, a warning each time).
        await waitFor(() => errors.length >= 4, 5_000);
        expect(events).toEqual(['fallback on']);
      } finally {
        await limited.closeAll();
      }
    },
  );

  it('FLUSHALL mid-window: every replica notices at its next take, falls back once and writes its grants back', async () => {
    const first = recorder();
    const second = recorder();
    const a = await long.replica({ probeIntervalMs: 100, hooks: first.hooks });
    const b = await long.replica({ probeIntervalMs: 100, hooks: second.hooks });
    // Two tenants: after one loss, one fallback each, not one per tenant it served.
    const other = { ...APP_1, tenant: '22222222-2222-4222-8222-222222222222' };
    expect(await a.take(APP_1, 'write', 3)).toMatchObject({ granted: 3, shared: true });
    expect(await a.take(other, 'write', 1)).toMatchObject({ granted: 1, shared: true });
    await inspector.flushall();
    // Before: the windows read empty, and the calls already sent could be granted again.
    expect(await a.take(APP_1, 'write', 1)).toMatchObject({ granted: 1, shared: false });
    expect(first.errors[0]).toMatch(/lost the quota windows/);
    expect(first.reasons[0]).toBe('lost');
    // B never took: it knew the epoch from its connection, and notices too (before: it granted a window again).
    expect(await b.take(APP_1, 'write', 1, 100)).toMatchObject({ shared: false });
    await waitFor(() => first.events.length === 2 && second.events.length === 2, 5_000);
    // A's three from before, and what each granted in-process since (one replica configured: its own are all).
    expect(await inspector.zcard(APP_1_WRITES)).toBe(5);
    expect(await inspector.zcard(TENANT_CALLS)).toBe(5);
    expect(await a.take(other, 'write', 1)).toMatchObject({ shared: true });
    expect(await a.take(APP_1, 'write', 1, 100)).toMatchObject({ refused: true });
    expect([first.events, second.events]).toEqual([
      ['fallback on', 'fallback off'],
      ['fallback on', 'fallback off'],
    ]);
  });

  it('no false alarm: idle for two windows, replicas with different windows', async () => {
    const { events, errors, hooks } = recorder();
    const a = await short.replica({ hooks });
    const b = await long.replica({ hooks });
    expect(await a.take(APP_1, 'write', 1)).toMatchObject({ shared: true });
    expect(await b.take(APP_1, 'read', 1)).toMatchObject({ shared: true });
    await sleep(2 * REDIS_LIMITS.windowMs + 100);
    expect(await a.take(APP_1, 'write', 1)).toMatchObject({ shared: true });
    expect(await b.take(APP_1, 'read', 1)).toMatchObject({ shared: true });
    expect([events, errors]).toEqual([[], []]);
  });
});

describe('a Redis Cluster: each tenant its own epoch', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(() => cluster.stop());
  const settings = () =>
    ({
      mode: 'cluster',
      seed: { host: '127.0.0.1', port: cluster.ports[0]! },
      auth: { tls: false },
    }) as const;

  it('FLUSHALL on every master: a replica that took for the tenant within a window notices, and comes back', async () => {
    const { events, errors, hooks } = recorder();
    const store = redisQuotaStore(settings());
    expect(await store.ready(5_000)).toBe(true);
    const pacer = createQuotaPacer({ limits: LONG_LIMITS, store, hooks, probeIntervalMs: 100 });
    try {
      const take = (max: number) =>
        pacer.take({ identity: APP_1, kind: 'write', max, deadline: Date.now() + 1_000 });
      expect(await take(2)).toMatchObject({ granted: 2, shared: true });
      for (const port of cluster.ports) await cluster.cli(port, 'FLUSHALL');
      expect(await take(1)).toMatchObject({ granted: 1, shared: false });
      expect(errors[0]).toMatch(/lost the quota windows/);
      await waitFor(() => events.length === 2, 5_000);
      expect(await take(2)).toMatchObject({ granted: 1, shared: true });
    } finally {
      await pacer.close();
    }
  });
});

describe('one endpoint that checks slots (a cluster node, or a proxy such as the Azure Enterprise cluster policy)', () => {
  let node: TestRedis;
  beforeAll(async () => {
    node = await startRedis({ args: ['--cluster-enabled', 'yes'] });
    const admin = new Redis(node.url);
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await waitFor(async () => (await admin.cluster('INFO')).includes('cluster_state:ok'), 5_000);
    admin.disconnect();
  });
  afterAll(() => node.stop());

  it('takes keep to one slot (each tenant its own epoch): shared, never CROSSSLOT; a flush still noticed', async () => {
    const { events, errors, hooks } = recorder();
    const replicas = createQuotaReplicas(() => node.url, LONG_LIMITS);
    try {
      const { take } = await replicas.replica({ probeIntervalMs: 100, hooks });
      // Before: the key for all beside the tenant's keys, and every take and probe refused (CROSSSLOT) for good.
      expect(await take(APP_1, 'write', 2)).toMatchObject({ granted: 2, shared: true });
      expect(await take(APP_1, 'write', 1)).toMatchObject({ granted: 1, shared: true });
      expect([events, errors]).toEqual([[], []]);
      const admin = new Redis(node.url);
      await admin.flushall();
      admin.disconnect();
      expect(await take(APP_1, 'write', 1)).toMatchObject({ shared: false });
      expect(errors).toEqual([expect.stringMatching(/lost the quota windows/)]);
      await waitFor(() => events.length === 2, 5_000);
    } finally {
      await replicas.closeAll();
    }
  });
});
