import { createQuotaPacer, createRedisQuotaStore } from '../../src/graph/quota';
import type { QuotaPacer } from '../../src/graph/quota';
import { APP_1, APP_2, REDIS_LIMITS, createQuotaReplicas, waitFor } from '../helpers/quota';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';

let redis: TestRedis;
const { replica, closeAll } = createQuotaReplicas(() => redis.url, REDIS_LIMITS);
const pacers: QuotaPacer[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await closeAll();
  await Promise.all(pacers.splice(0).map((pacer) => pacer.close()));
});
afterAll(() => redis.stop());

describe('Redis failure and recovery', () => {
  it('Redis killed mid-run: takes keep succeeding in-process, hooks fire once each way, and it recovers', async () => {
    const events: string[] = [];
    let storeErrors = 0;
    const { take } = await replica({
      probeIntervalMs: 100,
      hooks: {
        fallback: (active) => events.push(active ? 'fallback on' : 'fallback off'),
        storeError: () => (storeErrors += 1),
      },
    });
    expect(await take(APP_1, 'read', 1)).toMatchObject({ granted: 1, shared: true });
    await redis.kill();
    for (let i = 0; i < 5; i += 1)
      expect(await take(APP_2, 'read', 1)).toMatchObject({ granted: 1, shared: false });
    expect(events).toEqual(['fallback on']);
    expect(storeErrors).toBeGreaterThanOrEqual(1);
    await redis.restart();
    await waitFor(async () => {
      await take(APP_2, 'read', 1);
      return events.length === 2;
    }, 5_000);
    expect(events).toEqual(['fallback on', 'fallback off']);
    expect(await take(APP_1, 'read', 1)).toMatchObject({ granted: 1, shared: true });
  });
});

describe('Redis unreachable or frozen', () => {
  const recorder = () => {
    const events: string[] = [];
    const errors: string[] = [];
    const hooks = {
      fallback: (active: boolean) => events.push(active ? 'fallback on' : 'fallback off'),
      storeError: (error: unknown) => errors.push((error as Error).message),
    };
    return { events, errors, hooks };
  };

  it('unreachable from the start: served in-process at once, one fallback', async () => {
    const { events, hooks } = recorder();
    const store = createRedisQuotaStore({ url: 'redis://127.0.0.1:1' });
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
  });

  it('frozen (no answer): one take waits out the 200 ms timeout, the next ones do not, and it recovers', async () => {
    const { events, errors, hooks } = recorder();
    const { take } = await replica({ probeIntervalMs: 100, hooks });
    expect(await take(APP_1, 'read', 1)).toMatchObject({ shared: true });
    redis.freeze();
    try {
      const first = await take(APP_1, 'read', 1);
      expect(first).toMatchObject({ granted: 1, shared: false });
      expect((first as { waitedMs: number }).waitedMs).toBeGreaterThanOrEqual(195);
      // The next take does not ask the frozen Redis (it would time out again and report a second error).
      expect(await take(APP_1, 'read', 1)).toMatchObject({ granted: 1, shared: false });
      expect(errors).toHaveLength(1);
      expect(events).toEqual(['fallback on']);
      // ioredis's command timeout or the pacer's, whichever fires first: both are 200 ms.
      expect(errors[0]).toMatch(/Command timed out|did not answer within 200 ms/);
    } finally {
      redis.thaw();
    }
    await waitFor(async () => {
      await take(APP_2, 'read', 1);
      return events.length === 2;
    }, 5_000);
    expect(events).toEqual(['fallback on', 'fallback off']);
  });
});
