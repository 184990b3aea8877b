import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { createApqCache, DEFAULT_KEY_PREFIX } from '../../src/graphql/persisted/apq-cache';
import type {
  ApqCacheOptions,
  RefusedValueEvent,
  SharedStoreEvent,
} from '../../src/graphql/persisted/apq-cache';
import { redisAnswering } from '../../src/redis/answering';
import { createRedisConnection } from '../../src/redis/connection';
import type { RedisConnection } from '../../src/redis/connection';
import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, GET_QUERY, UPDATE_MUTATION, startHarness } from '../helpers/harness';
import { codesOf, persistedQuery } from '../helpers/persisted';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';

/**
 * The cache Apollo's automatic persisted queries use: bounded in-process, shared through a real redis-server, and
 * never an error when Redis is gone or frozen. What else writes to that Redis (a planted document, a huge value) is
 * not trusted: the hash is not found.
 */
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const key = (text: string) => `apq:${sha(text)}`;
const doc = (name: string, length = 40) => `query ${name} { ${'a '.repeat(length / 2)}}`;
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
const BASE: ApqCacheOptions = { maxCharacters: 1_000, maxDocumentLength: 500, ttlSeconds: 60 };

describe('in-process', () => {
  it('keeps registered documents up to its bound in characters, least recently used out', async () => {
    // Each ~240 characters, and 218 more for its key and bookkeeping: four fit in 2,000.
    const cache = createApqCache({ ...BASE, maxCharacters: 2_000 });
    const documents = ['A', 'B', 'C', 'D', 'E'].map((name) => doc(name, 230));
    for (const text of documents.slice(0, 4)) await cache.set(key(text), text);
    await cache.get(key(documents[0]!)); // A is now the most recently used
    await cache.set(key(documents[4]!), documents[4]!);
    const kept = await Promise.all(documents.map((text) => cache.get(key(text))));
    expect(kept.map((text) => text !== undefined)).toEqual([true, false, true, true, true]);
  });

  it('forgets a document after its TTL (an injected clock)', async () => {
    let now = 1_000_000;
    const cache = createApqCache({ ...BASE, now: () => now });
    await cache.set(key(doc('T')), doc('T'), { ttl: 60 });
    now += 59_000;
    expect(await cache.get(key(doc('T')))).toBe(doc('T'));
    now += 2_000;
    expect(await cache.get(key(doc('T')))).toBeUndefined();
  });

  it('never keeps a document longer than GRAPHQL_MAX_DOCUMENT_LENGTH', async () => {
    const cache = createApqCache(BASE);
    const long = doc('Long', 600);
    await cache.set(key(long), long);
    expect(await cache.get(key(long))).toBeUndefined();
  });
});

describe('shared through a real Redis', () => {
  let redis: TestRedis;
  let inspect: Redis;
  const connections: RedisConnection[] = [];
  const connect = async () => {
    const connection = createRedisConnection(
      { mode: 'single', url: redis.url },
      { commandTimeoutMs: 200 },
    );
    connections.push(connection);
    await redisAnswering(connection, 2_000);
    return connection;
  };
  const shared = async (events: SharedStoreEvent[] = []) =>
    createApqCache({ ...BASE, shared: await connect(), onSharedStore: (e) => events.push(e) });

  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.url, { lazyConnect: true });
  });
  afterAll(async () => {
    for (const connection of connections) connection.disconnect();
    inspect.disconnect();
    await redis.stop();
  });

  /** A cache on its own connection that records the values it refuses and the outages it reports. */
  async function refusingCache() {
    const events: RefusedValueEvent[] = [];
    const outages: SharedStoreEvent[] = [];
    const cache = createApqCache({
      ...BASE,
      shared: await connect(),
      onRefusedValue: (e) => events.push(e),
      onSharedStore: (e) => outages.push(e),
    });
    return { cache, events, outages };
  }

  it('a document registered through one replica’s cache is found through another’s', async () => {
    const [one, two] = [await shared(), await shared()];
    await one.set(key(doc('Shared')), doc('Shared'), { ttl: 60 });
    expect(await two.get(key(doc('Shared')))).toBe(doc('Shared'));
  });

  it('keys are the prefix and a SHA-256 of Apollo’s key; SET with EX the TTL', async () => {
    const cache = await shared();
    const text = doc('Keyed');
    await cache.set(key(text), text, { ttl: 30 });
    const stored = DEFAULT_KEY_PREFIX + sha(key(text));
    expect(await inspect.get(stored)).toBe(text);
    const ttl = await inspect.ttl(stored);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);
    const keys = await inspect.keys('*');
    expect(keys.every((name) => /^intune-gateway:apq:[0-9a-f]{64}$/.test(name))).toBe(true);
  });

  it('a value in Redis longer than the bound (written by something else) is not found', async () => {
    const cache = await shared();
    const long = doc('Planted', 600);
    await inspect.set(DEFAULT_KEY_PREFIX + sha(key(long)), long);
    expect(await cache.get(key(long))).toBeUndefined();
  });

  it('a document planted under another document’s hash is not run: a miss, reported without its text', async () => {
    const { cache, events } = await refusingCache();
    const asked = doc('Asked');
    const planted = 'mutation Planted { deleteEverything }';
    const stored = DEFAULT_KEY_PREFIX + sha(key(asked));
    await inspect.set(stored, planted);
    expect(await cache.get(key(asked))).toBeUndefined();
    expect(await cache.get(key(asked))).toBeUndefined(); // not kept in-process either
    expect(events).toEqual([
      { reason: 'hash-mismatch', key: stored },
      { reason: 'hash-mismatch', key: stored },
    ]);
    expect(JSON.stringify(events)).not.toContain('Planted');
  });

  it('a list under a valid-looking key is a refused value, not a Redis outage', async () => {
    const { cache, events, outages } = await refusingCache();
    const asked = doc('Listed');
    const stored = DEFAULT_KEY_PREFIX + sha(key(asked));
    await inspect.rpush(stored, asked);
    expect(await cache.get(key(asked))).toBeUndefined();
    expect(events).toEqual([{ reason: 'wrong-type', key: stored }]);
    expect(outages).toEqual([]);
  });

  it('a multi-MB value under a valid-looking key is never read whole: a miss, at most the bound crosses the wire', async () => {
    const { cache, events } = await refusingCache();
    const huge = `query Huge { ${'a '.repeat(2_500_000)}}`; // 5 MB
    const stored = DEFAULT_KEY_PREFIX + sha(key(huge));
    await inspect.set(stored, huge);
    const sent = async () =>
      Number(/total_net_output_bytes:(\d+)/.exec(await inspect.info('stats'))![1]);
    const before = await sent();
    expect(await cache.get(key(huge))).toBeUndefined();
    // This read and the INFO answers themselves: a few KB. GET sent all 5 MB.
    expect((await sent()) - before).toBeLessThan(BASE.maxDocumentLength * 3 + 10_000);
    expect(events).toEqual([{ reason: 'too-long', key: stored }]);
  });

  it('over HTTP: a mutation planted under a query’s hash never runs; Graph is never called; the warning has no text', async () => {
    const harness = await startHarness({ env: { REDIS_URL: redis.url, GRAPH_QUOTAS: 'off' } });
    try {
      const asked = GET_QUERY.replace('query Get(', 'query Asked(');
      await inspect.set(DEFAULT_KEY_PREFIX + sha(key(asked)), UPDATE_MUTATION);
      const input = { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' };
      const response = await harness.gateway.post(
        { variables: { input, c, s }, extensions: persistedQuery(asked) },
        AUTH,
      );
      expect([response.status, codesOf(response)]).toEqual([200, ['PERSISTED_QUERY_NOT_FOUND']]);
      expect(harness.emulator.requests).toHaveLength(0);
      const warnings = harness.gateway.logs.filter((line) => line.includes('not the document'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).not.toContain('updateDeviceConfigurationUserStatus');
    } finally {
      await harness.close();
    }
  });

  it('Redis frozen, then killed: reads are "not found" and writes stay in-process, never an error; one event each way', async () => {
    const events: SharedStoreEvent[] = [];
    const cache = await shared(events);
    const elsewhere = await shared();
    const before = doc('Before');
    await elsewhere.set(key(before), before, { ttl: 60 });

    redis.freeze();
    const started = Date.now();
    await expect(cache.get(key(before))).resolves.toBeUndefined();
    // Bounded by the connection's command timeout (200 ms here), not by Redis coming back.
    expect(Date.now() - started).toBeLessThan(5_000);
    redis.thaw();
    await redis.kill();

    const during = doc('During');
    await expect(cache.set(key(during), during, { ttl: 60 })).resolves.toBeUndefined();
    expect(await cache.get(key(during))).toBe(during); // this replica still has it
    await expect(cache.get(key(doc('Unknown')))).resolves.toBeUndefined();
    expect(events).toEqual([
      { available: false, operation: 'get', error: expect.any(Error) as unknown },
    ]);

    await redis.restart();
    for (const connection of connections.slice(-2)) await redisAnswering(connection, 5_000);
    const after = doc('After');
    await cache.set(key(after), after, { ttl: 60 });
    expect(events.map((event) => event.available)).toEqual([false, true]);
    expect(await elsewhere.get(key(after))).toBe(after);
  }, 15_000);
});
