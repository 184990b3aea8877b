import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { QuotaConfig } from './config';
import { createQuotaPacer, createRedisQuotaStoreOnDemand, replicaShare } from './graph';
import type { QuotaPacer } from './graph';
import { createQuotaMetrics } from './observability/quota-metrics';

/** Redis's own bound on a command, well past the pacer's: it only frees commands a Redis never answers. */
const redisCommandBound = (timeoutMs: number) => 2 * timeoutMs + 5_000;

/**
 * Intune quota pacing for this process: in-process windows, or windows shared by every replica through Redis
 * (REDIS_URL). A Redis that is down at start does not stop the gateway: the pacer serves in-process, under the
 * fallback rule (docs/quotas.md, "Redis outages"), and says so once.
 */
export async function createQuotaPacing(
  config: QuotaConfig,
  registry: Registry,
  log: Logger,
): Promise<QuotaPacer | undefined> {
  if (!config.limits) return undefined;
  const limits = { ...config.limits, windowMs: config.limits.windowMs + config.marginMs };
  // What the one warning on losing Redis says this replica falls back to; only a gateway sharing Redis has one.
  const share = config.redisUrl
    ? { replicas: config.replicas, limits: replicaShare(limits, config.replicas) }
    : undefined;
  const hooks = createQuotaMetrics(
    registry,
    (level, message, fields) => log[level](fields ?? {}, message),
    share,
  );
  const { maxHoldMs } = config;
  if (!config.redisUrl) return createQuotaPacer({ limits, hooks, maxHoldMs });
  const store = createRedisQuotaStoreOnDemand({
    url: config.redisUrl,
    commandTimeoutMs: redisCommandBound(config.redisTimeoutMs),
  });
  if (!(await store.ready(1000)))
    log.warn(
      { replicas: config.replicas },
      'Redis for the quota windows is not answering yet: pacing in-process, under the fallback rule, until it does',
    );
  return createQuotaPacer({
    limits,
    store,
    hooks,
    replicas: config.replicas,
    storeTimeoutMs: config.redisTimeoutMs,
    maxHoldMs,
  });
}
