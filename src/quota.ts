import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { QuotaConfig } from './config';
import { createQuotaPacer } from './graph/quota/pacer';
import type { QuotaPacer } from './graph/quota/types';
import { createQuotaMetrics } from './quota-metrics';

/**
 * Intune quota pacing for this process: in-process windows, or windows shared by every replica through Redis
 * (REDIS_URL). Redis is loaded only when configured. A Redis that is down at start does not stop the gateway: the
 * pacer serves in-process and says so once (docs/quotas.md).
 */
export async function createQuotaPacing(
  config: QuotaConfig,
  registry: Registry,
  log: FastifyBaseLogger,
): Promise<QuotaPacer | undefined> {
  if (!config.limits) return undefined;
  const hooks = createQuotaMetrics(registry, (level, message, fields) =>
    log[level](fields ?? {}, message),
  );
  if (!config.redisUrl) return createQuotaPacer({ limits: config.limits, hooks });
  const { createRedisQuotaStore } = await import('./graph/quota/redis-store');
  const store = createRedisQuotaStore({ url: config.redisUrl });
  if (!(await store.ready(1000)))
    log.warn('Redis for the quota windows is not answering yet: pacing in-process until it does');
  return createQuotaPacer({ limits: config.limits, store, hooks });
}
