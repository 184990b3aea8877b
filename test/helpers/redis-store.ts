import { createRedisQuotaStore } from '../../src/graph/quota';
import type { RedisQuotaStore } from '../../src/graph/quota';
import { redisAnswering } from '../../src/redis/answering';
import { createRedisConnection } from '../../src/redis/connection';
import { redisEndpoint } from '../../src/redis/settings';
import type { RedisSettings } from '../../src/redis/settings';

/**
 * The Redis quota store as the gateway builds it (src/quota.ts): a connection from the one factory, for one Redis
 * at `url` or any settings; commands bounded at 10 s, the store's owner bounds its calls itself.
 */
export function redisQuotaStore(
  target: string | RedisSettings,
  commandTimeoutMs = 10_000,
): RedisQuotaStore {
  const settings: RedisSettings =
    typeof target === 'string' ? { mode: 'single', url: target } : target;
  const connection = createRedisConnection(settings, { commandTimeoutMs });
  return createRedisQuotaStore({
    connection,
    address: redisEndpoint(settings),
    answering: (withinMs) => redisAnswering(connection, withinMs),
  });
}
