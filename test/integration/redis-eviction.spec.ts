import { startGateway } from '../helpers/harness';
import type { Gateway } from '../helpers/harness';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import { redisCli } from '../helpers/redis-topologies';
import { waitFor } from '../helpers/wait';

/**
 * A Redis that may evict the quota windows (a `maxmemory` with a policy other than `noeviction`, the default of
 * Azure Cache for Redis and ElastiCache) forgets calls that were made: 19 to 29 over the limit in the Redis probe of
 * 2026-12-06 with `volatile-ttl`. The gateway reads the policy each time Redis answers, warns, and says it in a
 * metric.
 */
let redis: TestRedis;
let gateway: Gateway | undefined;
beforeEach(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  await redis.stop();
});

const WARNING =
  "Redis for the quota windows may evict them (maxmemory-policy is not noeviction): an evicted call is forgotten and the replicas may go over Intune's limits; set maxmemory-policy noeviction";
const lines = (started: Gateway) =>
  started.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
const scrape = async (started: Gateway) =>
  (await fetch(started.url.replace(/\/graphql$/, '/metrics'))).text();

async function started(): Promise<Gateway> {
  gateway = await startGateway({
    REDIS_URL: redis.url,
    GRAPH_QUOTA_REPLICAS: '2',
    GRAPHQL_APQ: 'false',
  });
  return gateway;
}

describe('a Redis that may evict the quota windows', () => {
  it.each(['volatile-lru', 'volatile-ttl', 'allkeys-lru'])(
    'maxmemory-policy %s: one warning naming it, and the metric says 1',
    async (policy) => {
      await redisCli(redis.port, 'CONFIG', 'SET', 'maxmemory', '64mb');
      await redisCli(redis.port, 'CONFIG', 'SET', 'maxmemory-policy', policy);
      const gateway = await started();
      await waitFor(() => lines(gateway).some((line) => line.msg === WARNING), 5_000);
      expect(lines(gateway).filter((line) => line.msg === WARNING)).toMatchObject([
        { level: 40, maxmemoryPolicy: policy, maxmemory: 64 * 1024 * 1024 },
      ]);
      expect(await scrape(gateway)).toContain('intune_gateway_quota_store_evicting 1');
    },
  );

  it('noeviction, or no maxmemory: no warning; a policy changed later is seen when Redis answers again', async () => {
    await redisCli(redis.port, 'CONFIG', 'SET', 'maxmemory', '0');
    await redisCli(redis.port, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    const gateway = await started();
    // allkeys-lru without maxmemory evicts nothing.
    await waitFor(async () => (await scrape(gateway)).includes('quota_store_evicting 0'), 5_000);
    await redisCli(redis.port, 'CONFIG', 'SET', 'maxmemory', '64mb');
    await redisCli(redis.port, 'CLIENT', 'KILL', 'TYPE', 'normal');
    await waitFor(() => lines(gateway).some((line) => line.msg === WARNING), 5_000);
    expect(await scrape(gateway)).toContain('intune_gateway_quota_store_evicting 1');
    await redisCli(redis.port, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    await redisCli(redis.port, 'CLIENT', 'KILL', 'TYPE', 'normal');
    await waitFor(async () => (await scrape(gateway)).includes('quota_store_evicting 0'), 5_000);
    expect(lines(gateway).filter((line) => line.msg === WARNING)).toHaveLength(1);
  });
});
