import type * as RedisStoreModule from './redis-store';
import type { RedisQuotaStore, RedisQuotaStoreOptions } from './redis-store';

/**
 * The Redis quota store, its module loaded on first use: ioredis is a tenth of the gateway's start-up code, and a
 * gateway without REDIS_URL never needs it. `require`, not `import()`, so that it also resolves when run from
 * source (tsx's CommonJS hook).
 */
export function createRedisQuotaStoreOnDemand(options: RedisQuotaStoreOptions): RedisQuotaStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createRedisQuotaStore } = require('./redis-store') as typeof RedisStoreModule;
  return createRedisQuotaStore(options);
}
