import Redis from 'ioredis';
import { createQuotaPacer } from '../../src/graph/quota';
import type { QuotaLimits, QuotaPacer } from '../../src/graph/quota';
import { APP_1, APP_2, REDIS_LIMITS, TENANT, createQuotaReplicas, waitFor } from '../helpers/quota';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import type { Socket } from 'node:net';
import { redisQuotaStore } from '../helpers/redis-store';
import { createRedisQuotaStore } from '../../src/graph/quota';
import type { QuotaStoreError } from '../../src/graph/quota/store';
import { redisAnswering } from '../../src/redis/answering';
import { createRedisConnection } from '../../src/redis/connection';

/** Windows long enough that what a replica granted is still in them when Redis comes back. */
const LONG_LIMITS: QuotaLimits = { ...REDIS_LIMITS, windowMs: 10_000 };
const APP_1_WRITES = `igg:q:{${TENANT}}:${APP_1.app}:w`;

let redis: TestRedis;
let inspector: Redis;
const { replica, closeAll } = createQuotaReplicas(() => redis.url, REDIS_LIMITS);
const long = createQuotaReplicas(() => redis.url, LONG_LIMITS);
const pacers: QuotaPacer[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
beforeEach(async () => {
  inspector = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  inspector.on('error', () => {});
  await inspector.flushall();
});
afterEach(async () => {
  inspector.disconnect();
  await Promise.all([closeAll(), long.closeAll()]);
  await Promise.all(pacers.splice(0).map((pacer) => pacer.close()));
});
afterAll(() => redis.stop());

function recorder() {
  const events: string[] = [];
  const errors: string[] = [];
  const hooks = {
    fallback: (active: boolean) => events.push(active ? 'fallback on' : 'fallback off'),
    storeError: (error: unknown) => errors.push((error as Error).message),
  };
  return { events, errors, hooks };
}

describe('Redis failure and recovery', () => {
  it('Redis killed mid-run: takes keep succeeding in-process; back on Redis by its own probe, no call needed', async () => {
    const { events, hooks } = recorder();
    const { take } = await replica({ probeIntervalMs: 100, hooks });
    expect(await take(APP_1, 'read', 1)).toMatchObject({ granted: 1, shared: true });
    await redis.kill();
    for (let i = 0; i < 5; i += 1)
      expect(await take(APP_2, 'read', 1)).toMatchObject({ granted: 1, shared: false });
    expect(events).toEqual(['fallback on']);
    await redis.restart();
    await waitFor(() => events.length === 2, 5_000);
    expect(events).toEqual(['fallback on', 'fallback off']);
    expect(await take(APP_1, 'read', 1)).toMatchObject({ granted: 1, shared: true });
  });

  it('Redis back empty: the grants of the window, shared and in-process, are written into it again', async () => {
    const { events, hooks } = recorder();
    const { take } = await long.replica({ probeIntervalMs: 100, hooks });
    expect(await take(APP_1, 'write', 3)).toMatchObject({ granted: 3, shared: true });
    await redis.kill();
    expect(await take(APP_1, 'write', 1)).toMatchObject({ granted: 1, shared: false });
    await redis.restart();
    await waitFor(() => events.length === 2, 5_000);
    inspector.disconnect();
    inspector = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    inspector.on('error', () => {});
    // Before its first take from Redis: the three it took there and the one it took alone.
    expect(await inspector.zcard(APP_1_WRITES)).toBe(4);
    expect(await inspector.zcard(`igg:q:{${TENANT}}:c`)).toBe(4);
    // A replica that never saw the outage sees the window as it was: no room.
    const { take: other } = await long.replica();
    expect(await other(APP_1, 'write', 1, 100)).toMatchObject({ refused: true });
  });

  it('a replica whose calls all wait for the window learns of a restart from the dropped connection', async () => {
    const { events, errors, hooks } = recorder();
    const { take } = await long.replica({ probeIntervalMs: 100, hooks });
    expect(await take(APP_1, 'write', 4)).toMatchObject({ granted: 4, shared: true });
    await redis.kill();
    // No take: the connection's end is enough.
    await waitFor(() => events.length === 1, 5_000);
    expect(errors[0]).toMatch(
      /^(connection lost to|connection reset by|connection refused to) 127\.0\.0\.1:\d+$/,
    );
    await redis.restart();
    await waitFor(() => events.length === 2, 5_000);
    inspector.disconnect();
    inspector = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    inspector.on('error', () => {});
    // Back empty, and re-seeded before anything was taken from it.
    expect(await inspector.zcard(APP_1_WRITES)).toBe(4);
  });

  it('stalled past the timeout: the take that timed out still counts in Redis, the one granted alone is written back', async () => {
    const { events, errors, hooks } = recorder();
    const { take } = await long.replica({ probeIntervalMs: 100, storeTimeoutMs: 300, hooks });
    expect(await take(APP_1, 'write', 1)).toMatchObject({ shared: true });
    redis.freeze();
    try {
      expect(await take(APP_1, 'write', 1)).toMatchObject({ granted: 1, shared: false });
      expect(errors[0]).toBe('timeout after 300 ms');
    } finally {
      redis.thaw();
    }
    await waitFor(() => events.length === 2, 5_000);
    // One call sent, counted twice: its take ran when Redis woke up, and its in-process grant was written back.
    // Never less than was sent.
    expect(await inspector.zcard(APP_1_WRITES)).toBe(3);
  });

  it('slow but within the timeout: the answer is waited for, no fallback', async () => {
    const { events, hooks } = recorder();
    const { take } = await replica({ storeTimeoutMs: 5_000, hooks });
    expect(await take(APP_1, 'read', 1)).toMatchObject({ shared: true });
    redis.freeze();
    const slow = take(APP_1, 'read', 1, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    redis.thaw();
    expect(await slow).toMatchObject({ granted: 1, shared: true });
    expect(events).toEqual([]);
  });
});

describe('Redis unreachable or frozen', () => {
  it('unreachable from the start: served in-process at once, one fallback, its cause in words', async () => {
    const { events, errors, hooks } = recorder();
    const store = redisQuotaStore('redis://:hunter2@127.0.0.1:1');
    expect(await store.ready(100)).toBe(false);
    const pacer = createQuotaPacer({ limits: REDIS_LIMITS, store, hooks });
    pacers.push(pacer);
    for (let i = 0; i < 3; i += 1) {
      const outcome = await pacer.take({
        identity: APP_1,
        kind: 'write',
        max: 1,
        deadline: Date.now() + 1_000,
      });
      expect(outcome).toMatchObject({ granted: 1, shared: false });
    }
    expect(events).toEqual(['fallback on']);
    expect(errors[0]).toBe('connection refused to 127.0.0.1:1');
    expect(errors.join()).not.toContain('hunter2');
  });

  it('a take on a socket that had ended while ioredis still said ready: unreachable, not an error of Redis', async () => {
    const connection = createRedisConnection(
      { mode: 'single', url: redis.url },
      { commandTimeoutMs: 10_000 },
    );
    const address = `127.0.0.1:${new URL(redis.url).port}`;
    const answering = (withinMs: number) => redisAnswering(connection, withinMs);
    const store = createRedisQuotaStore({ connection, address, answering });
    try {
      expect(await store.ready(5_000)).toBe(true);
      // What Redis's FIN leaves for a moment (CLIENT KILL, a restart): the socket no longer writable, and ioredis,
      // which hears only 'close', still 'ready'. The chaos run logged such takes as `error: failed`.
      (connection as unknown as { stream: Socket }).stream.end();
      expect(connection.status).toBe('ready');
      const take = { identity: APP_1, kind: 'write' as const, max: 1, limits: REDIS_LIMITS };
      const error = (await store.take(take).catch((caught: unknown) => caught)) as QuotaStoreError;
      expect([error.reason, error.message]).toEqual([
        'unreachable',
        `connection lost to ${address}`,
      ]);
    } finally {
      await store.close();
    }
  });

  it('frozen (no answer): one take waits out the timeout, the next ones do not, and it recovers', async () => {
    const { events, errors, hooks } = recorder();
    const { take } = await replica({ probeIntervalMs: 100, storeTimeoutMs: 200, hooks });
    expect(await take(APP_1, 'read', 1)).toMatchObject({ shared: true });
    redis.freeze();
    try {
      const first = await take(APP_1, 'read', 1);
      expect(first).toMatchObject({ granted: 1, shared: false });
      expect((first as { waitedMs: number }).waitedMs).toBeGreaterThanOrEqual(195);
      // The next take does not ask the frozen Redis (it would time out again and report a second error).
      expect(await take(APP_1, 'read', 1)).toMatchObject({ granted: 1, shared: false });
      expect(errors[0]).toBe('timeout after 200 ms');
      expect(events).toEqual(['fallback on']);
    } finally {
      redis.thaw();
    }
    await waitFor(() => events.length === 2, 5_000);
    expect(events).toEqual(['fallback on', 'fallback off']);
  });
});
