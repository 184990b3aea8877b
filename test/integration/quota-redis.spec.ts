import Redis from 'ioredis';
import { isQuotaGrant, quotaIdentity } from '../../src/graph/quota';
import type { QuotaIdentity, QuotaKind, QuotaOutcome } from '../../src/graph/quota';
import { APP_1, APP_2, REDIS_LIMITS, TENANT, createQuotaReplicas, waitFor } from '../helpers/quota';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import { redisQuotaStore } from '../helpers/redis-store';

let redis: TestRedis;
let inspector: Redis;
const { replica, closeAll } = createQuotaReplicas(() => redis.url, REDIS_LIMITS);

beforeAll(async () => {
  redis = await startRedis();
  inspector = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  inspector.on('error', () => {});
  await inspector.connect();
});
afterEach(async () => {
  await closeAll();
  if (inspector.status === 'ready') await inspector.flushall();
});
afterAll(async () => {
  inspector.disconnect();
  await redis.stop();
});

/** Windows long enough that nothing expires while a test looks at them. */
const LONG_LIMITS = { ...REDIS_LIMITS, windowMs: 5_000 };

/** Redis's clock (`TIME`), in µs. */
async function redisMicros(): Promise<number> {
  const [seconds, micros] = await inspector.time();
  return Number(seconds) * 1_000_000 + Number(micros);
}

interface Grant {
  readonly identity: QuotaIdentity;
  readonly kind: QuotaKind;
  readonly count: number;
  /** Redis TIME of the grant, µs. */
  readonly atUs: number;
}

/** Every interval of `windowMs` holds at most `limit` of these grant times (expanded by count). */
function overLimit(grants: readonly Grant[], limit: number): string[] {
  const times = grants
    .flatMap((grant) => Array<number>(grant.count).fill(grant.atUs))
    .sort((a, b) => a - b);
  const windowUs = REDIS_LIMITS.windowMs * 1_000;
  const crowded: string[] = [];
  for (let i = 0; i + limit < times.length; i += 1)
    if (times[i + limit]! - times[i]! < windowUs)
      crowded.push(`${limit + 1} grants within ${(times[i + limit]! - times[i]!) / 1000} ms`);
  return crowded;
}

describe('Redis quota store shared by replicas', () => {
  it('two replicas with skewed clocks, driven concurrently, never exceed any window together', async () => {
    const replicas = await Promise.all([replica({ skewMs: 3_000 }), replica({ skewMs: -3_000 })]);
    const grants: Grant[] = [];
    let refused = 0;
    const until = Date.now() + 1_200;
    const worker = async (index: number) => {
      const { take } = replicas[index % 2]!;
      const identity = index % 3 === 0 ? APP_2 : APP_1;
      const kind: QuotaKind = index % 4 === 0 ? 'read' : 'write';
      while (Date.now() < until) {
        // Half the workers cannot wait long: when the windows are full they are refused at once.
        const outcome: QuotaOutcome = await take(
          identity,
          kind,
          1 + (index % 3),
          index % 2 ? 400 : 100,
        );
        if (isQuotaGrant(outcome))
          grants.push({
            identity,
            kind,
            count: outcome.granted,
            atUs: Math.round(outcome.at * 1000),
          });
        else if ('refused' in outcome) {
          refused += 1;
          await new Promise((resolve) => setTimeout(resolve, Math.min(outcome.retryAfterMs, 50)));
        }
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, index) => worker(index)));

    const of = (identity: QuotaIdentity | null, kind: QuotaKind | null) =>
      grants.filter(
        (grant) => (!identity || grant.identity === identity) && (!kind || grant.kind === kind),
      );
    expect({
      app1Writes: overLimit(of(APP_1, 'write'), REDIS_LIMITS.appWrites),
      app2Writes: overLimit(of(APP_2, 'write'), REDIS_LIMITS.appWrites),
      tenantWrites: overLimit(of(null, 'write'), REDIS_LIMITS.tenantWrites),
      app1Calls: overLimit(of(APP_1, null), REDIS_LIMITS.appCalls),
      app2Calls: overLimit(of(APP_2, null), REDIS_LIMITS.appCalls),
      tenantCalls: overLimit(of(null, null), REDIS_LIMITS.tenantCalls),
    }).toEqual({
      app1Writes: [],
      app2Writes: [],
      tenantWrites: [],
      app1Calls: [],
      app2Calls: [],
      tenantCalls: [],
    });
    // The budget was used, not just respected: over 1.2 s (4 windows), the tenant's 6 writes per window.
    const writes = of(null, 'write').reduce((sum, grant) => sum + grant.count, 0);
    expect(writes).toBeGreaterThanOrEqual(REDIS_LIMITS.tenantWrites * 3);
    expect(refused).toBeGreaterThan(0);
  });

  it('a take that gets nothing names what it was short of (the script bits), as in-process', async () => {
    const store = redisQuotaStore(redis.url);
    try {
      expect(await store.ready(2_000)).toBe(true);
      const take = (kind: QuotaKind, max = 1) =>
        store.take({ identity: APP_1, kind, max, limits: REDIS_LIMITS });
      expect(await take('write', REDIS_LIMITS.appWrites)).toMatchObject({ shortOf: [] });
      expect(await take('write')).toMatchObject({ granted: 0, shortOf: ['appWrites'] });
      expect(await take('read', 4)).toMatchObject({ granted: 4 });
      expect(await take('write')).toMatchObject({ shortOf: ['appWrites', 'appCalls'] });
      await store.block(APP_1, 5_000);
      expect(await take('read')).toMatchObject({ shortOf: ['block', 'appCalls'] });
    } finally {
      await store.close();
    }
  });

  it("each answer says every window's live entries, every replica's: what a replica knows if Redis goes", async () => {
    const [one, two] = [1, 2].map(() => redisQuotaStore(redis.url));
    try {
      expect(await one!.ready(2_000)).toBe(true);
      expect(await two!.ready(2_000)).toBe(true);
      const take = (store: typeof one, identity: QuotaIdentity, kind: QuotaKind, max: number) =>
        store!.take({ identity, kind, max, limits: LONG_LIMITS });
      // Write windows: app writes, tenant writes, app calls, tenant calls; read windows: app and tenant calls.
      expect(await take(one, APP_1, 'write', 3)).toMatchObject({
        granted: 3,
        counts: [3, 3, 3, 3],
      });
      expect(await take(two, APP_2, 'read', 2)).toMatchObject({ granted: 2, counts: [2, 5] });
      expect(await take(one, APP_1, 'write', 5)).toMatchObject({
        granted: 1,
        counts: [4, 4, 4, 6],
      });
      expect(await take(two, APP_1, 'write', 1)).toMatchObject({
        granted: 0,
        counts: [4, 4, 4, 6],
      });
    } finally {
      await Promise.all([one!.close(), two!.close()]);
    }
  });

  it('restore writes grants back with their original times: once, expired ones skipped, limits not checked', async () => {
    const store = redisQuotaStore(redis.url);
    try {
      expect(await store.ready(2_000)).toBe(true);
      expect(
        await store.take({ identity: APP_1, kind: 'write', max: 2, limits: LONG_LIMITS }),
      ).toMatchObject({ granted: 2 });
      const record = { identity: APP_1, kind: 'write' as const, limits: LONG_LIMITS };
      const records = [
        { ...record, id: 'feedfacefeedface.f1:', count: 3, ageMs: 1_000 },
        { ...record, id: 'feedfacefeedface.f2:', count: 2, ageMs: LONG_LIMITS.windowMs },
      ];
      const before = await redisMicros();
      // Over the app's 4 writes: they were sent, they count.
      expect(await store.restore!(records)).toBe(3);
      const after = await redisMicros();
      const key = `igg:q:{${TENANT}}:${APP_1.app}:w`;
      const restored = await inspector.zrange(key, 0, -1, 'WITHSCORES');
      const scores = new Map<string, number>();
      for (let i = 0; i < restored.length; i += 2)
        scores.set(restored[i]!, Number(restored[i + 1]));
      expect([...scores.keys()].filter((member) => member.startsWith('feedface'))).toEqual([
        'feedfacefeedface.f1:1',
        'feedfacefeedface.f1:2',
        'feedfacefeedface.f1:3',
      ]);
      // Dated `age` before Redis's now when the script ran.
      const stamp = scores.get('feedfacefeedface.f1:1')!;
      expect(stamp).toBeGreaterThanOrEqual(before - 1_000_000);
      expect(stamp).toBeLessThanOrEqual(after - 1_000_000);
      // The same grants again: nothing added, nothing moved.
      expect(await store.restore!(records)).toBe(0);
      expect(await inspector.zscore(key, 'feedfacefeedface.f1:1')).toBe(String(stamp));
      for (const window of ['w', 'c'])
        expect(await inspector.zcard(`igg:q:{${TENANT}}:${window}`)).toBe(5);
      expect(await inspector.pttl(key)).toBeGreaterThan(0);
      expect(await inspector.pttl(key)).toBeLessThanOrEqual(LONG_LIMITS.windowMs);
      expect(
        await store.take({ identity: APP_1, kind: 'write', max: 1, limits: LONG_LIMITS }),
      ).toMatchObject({
        granted: 0,
        shortOf: ['appWrites'],
      });
    } finally {
      await store.close();
    }
  });

  it('restore raises what Redis holds for a grant dated later since (raise), and dates a negative age ahead', async () => {
    const store = redisQuotaStore(redis.url);
    try {
      expect(await store.ready(2_000)).toBe(true);
      const record = { identity: APP_1, kind: 'write' as const, limits: LONG_LIMITS };
      const key = `igg:q:{${TENANT}}:${APP_1.app}:w`;
      const held = { ...record, id: 'feedfacefeedface.f1:', count: 2, ageMs: 3_000 };
      expect(await store.restore!([held])).toBe(2);
      const before = await redisMicros();
      // Dated later since (a late arrival): raised, not added; 1 s ahead of now: written so, and the key lives on.
      const ahead = { ...record, id: 'feedfacefeedface.f2:', count: 1, ageMs: -1_000 };
      expect(await store.restore!([{ ...held, ageMs: 500, raise: true }, ahead])).toBe(1);
      const after = await redisMicros();
      for (const member of ['feedfacefeedface.f1:1', 'feedfacefeedface.f1:2']) {
        const score = Number(await inspector.zscore(key, member));
        expect(score).toBeGreaterThanOrEqual(before - 500_000);
        expect(score).toBeLessThanOrEqual(after - 500_000);
      }
      // Never lowered: an older date with raise leaves it.
      const raised = await inspector.zscore(key, 'feedfacefeedface.f1:1');
      expect(await store.restore!([{ ...held, raise: true }])).toBe(0);
      expect(await inspector.zscore(key, 'feedfacefeedface.f1:1')).toBe(raised);
      const aheadScore = Number(await inspector.zscore(key, 'feedfacefeedface.f2:1'));
      expect(aheadScore).toBeGreaterThanOrEqual(before + 1_000_000);
      expect(await inspector.pttl(key)).toBeGreaterThan(LONG_LIMITS.windowMs);
      // A take sets a window's life, but never shortens it: the entry ahead would be lost with its key.
      await store.take({ identity: APP_1, kind: 'write', max: 1, limits: LONG_LIMITS });
      expect(await inspector.pttl(key)).toBeGreaterThan(LONG_LIMITS.windowMs);
    } finally {
      await store.close();
    }
  });

  it('arrivedBy dates the entries not given back margin before Redis now, never earlier, and writes dropped ones again', async () => {
    const store = redisQuotaStore(redis.url);
    try {
      expect(await store.ready(2_000)).toBe(true);
      const grant = await store.take({
        identity: APP_1,
        kind: 'write',
        max: 3,
        limits: LONG_LIMITS,
      });
      expect(grant).toMatchObject({ granted: 3 });
      const key = `igg:q:{${TENANT}}:${APP_1.app}:w`;
      const member = (n: number) => `${grant.id!}${n}`;
      const scoreOf = async (k: string, n: number) => Number(await inspector.zscore(k, member(n)));
      const granted = await scoreOf(key, 1);
      await grant.release(1);
      // Dropped meanwhile (as if it had expired): written again.
      await inspector.zrem(`igg:q:{${TENANT}}:c`, member(2));
      // A margin larger than the time since the grant: nothing moves.
      await grant.arrivedBy!(60_000);
      expect(await scoreOf(key, 1)).toBe(granted);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const before = await redisMicros();
      await grant.arrivedBy!(10);
      const after = await redisMicros();
      for (const k of [key, `igg:q:{${TENANT}}:${APP_1.app}:c`, `igg:q:{${TENANT}}:w`]) {
        for (const n of [1, 2]) {
          expect(await scoreOf(k, n)).toBeGreaterThanOrEqual(before - 10_000);
          expect(await scoreOf(k, n)).toBeLessThanOrEqual(after - 10_000);
        }
        // Given back: not written again.
        expect(await inspector.zscore(k, member(3))).toBeNull();
      }
      expect(await scoreOf(`igg:q:{${TENANT}}:c`, 2)).toBeGreaterThanOrEqual(before - 10_000);
      expect(await inspector.pttl(key)).toBeGreaterThan(LONG_LIMITS.windowMs - 1_000);
    } finally {
      await store.close();
    }
  });

  it('a 429 block set by one replica holds the identity on the other until it passes', async () => {
    const [one, two] = await Promise.all([replica({ skewMs: 2_000 }), replica()]);
    const blockedAt = Date.now();
    one.pacer.block(APP_1, blockedAt + one.skew + 400);
    await waitFor(async () => (await inspector.pttl(`igg:q:{${TENANT}}:${APP_1.app}:b`)) > 0);
    expect(await two.take(APP_1, 'read', 1, 200)).toMatchObject({ refused: true });
    const other = await two.take(APP_2, 'read', 1, 200);
    expect(other).toMatchObject({ granted: 1, shared: true });
    // Served while the first app's block still holds: the block is its app's alone.
    expect(await inspector.pttl(`igg:q:{${TENANT}}:${APP_1.app}:b`)).toBeGreaterThan(0);
    const outcome = await two.take(APP_1, 'read', 1, 2_000);
    expect(outcome).toMatchObject({ granted: 1 });
    expect(Date.now() - blockedAt).toBeGreaterThanOrEqual(390);
    expect(Date.now() - blockedAt).toBeLessThan(5_000);
  });

  it('release gives budget back to every replica', async () => {
    const [one, two] = await Promise.all([replica(), replica()]);
    const grant = await one.take(APP_1, 'write', 10);
    expect(grant).toMatchObject({ granted: REDIS_LIMITS.appWrites, shared: true });
    expect(await two.take(APP_1, 'write', 1, 100)).toMatchObject({ refused: true });
    if (!isQuotaGrant(grant)) throw new Error('expected a grant');
    const key = `igg:q:{${TENANT}}:${APP_1.app}:w`;
    grant.release(1);
    await waitFor(async () => (await inspector.zcard(key)) === REDIS_LIMITS.appWrites - 1);
    grant.release();
    await waitFor(async () => (await inspector.zcard(key)) === 0);
    expect(await inspector.zcard(`igg:q:{${TENANT}}:c`)).toBe(0);
    const again = await two.take(APP_1, 'write', 10, 100);
    // Within its 100 ms deadline: the released budget, not the window's end (a full window away).
    expect(again).toMatchObject({ granted: REDIS_LIMITS.appWrites, shared: true });
  });

  it('keys and members hold tenant and app ids or hashes, never token text', async () => {
    const { take, pacer } = await replica();
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const goodJwt = `${encode({ alg: 'none' })}.${encode({ tid: TENANT, appid: APP_1.app, upn: 'ada@contoso.com' })}.sig1`;
    const forgedJwt = `${encode({ alg: 'none' })}.${encode({ tid: 'SECRET-TENANT', appid: '{evil}:x' })}.sig2`;
    const opaque = 'EwBwA8l6BAAUopaque-secret-token';
    const tokens = [goodJwt, forgedJwt, opaque];
    for (const token of tokens) {
      const identity = quotaIdentity(`Bearer ${token}`);
      expect(await take(identity, 'write', 1)).toMatchObject({ granted: 1 });
    }
    pacer.block(quotaIdentity(`Bearer ${opaque}`), Date.now() + 5_000);
    await waitFor(async () => (await inspector.keys('*:b')).length === 1);
    const keys: string[] = [];
    for (let cursor = '0', first = true; first || cursor !== '0'; first = false) {
      const [next, batch] = await inspector.scan(cursor, 'COUNT', 100);
      cursor = next;
      keys.push(...batch);
    }
    const part =
      '(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|sha256:[0-9a-f]{64})';
    const shape = new RegExp(`^igg:q:\\{${part}\\}(?::${part})?:[wcb]$|^igg:q:epoch$`);
    expect(keys.filter((key) => !shape.test(key))).toEqual([]);
    // Three identities (three tenants) with four window keys each, one block, and the epoch (one Redis: one for all).
    expect(keys).toHaveLength(3 * 4 + 1 + 1);
    const windowKeys = keys.filter((key) => !key.endsWith(':b') && key !== 'igg:q:epoch');
    const members = (
      await Promise.all(windowKeys.map((key) => inspector.zrange(key, 0, -1)))
    ).flat();
    expect(members.every((member) => /^[0-9a-f]{16}\.[0-9a-z]+:\d+$/.test(member))).toBe(true);
    const epochs = [await inspector.get('igg:q:epoch')];
    expect(epochs.every((epoch) => /^[0-9a-f]{16}\.[0-9a-z]+:$/.test(epoch ?? ''))).toBe(true);
    const everything = [...keys, ...members, ...epochs].join('\n');
    for (const secret of [
      'SECRET',
      'evil',
      'opaque',
      'ada@',
      ...tokens.flatMap((token) => token.split('.')),
    ])
      expect(everything).not.toContain(secret);
  });
});
