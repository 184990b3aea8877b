import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { QuotaConfig } from './config';
import { createQuotaPacer, createRedisQuotaStoreOnDemand, replicaShare } from './graph';
import type { QuotaPacer } from './graph';
import { createQuotaMetrics } from './observability/quota-metrics';

/**
 * Each call stays in the gateway's windows this much longer than Graph's window: a call is counted when its
 * budget is granted, Graph counts it when it arrives, and the time in between varies from call to call. Without
 * the margin, two calls granted exactly one window apart can arrive less than a window apart.
 */
export const QUOTA_SAFETY_MARGIN_MS = 500;

/**
 * Intune quota pacing for this process: in-process windows, or windows shared by every replica through Redis
 * (REDIS_URL). A Redis that is down at start does not stop the gateway: the pacer serves in-process, to this
 * replica's share of the limits (GRAPH_QUOTA_REPLICAS), and says so once (docs/quotas.md).
 */
export async function createQuotaPacing(
  config: QuotaConfig,
  registry: Registry,
  log: Logger,
): Promise<QuotaPacer | undefined> {
  if (!config.limits) return undefined;
  const limits = { ...config.limits, windowMs: config.limits.windowMs + QUOTA_SAFETY_MARGIN_MS };
  // What the one warning on losing Redis says this replica falls back to.
  const share = { replicas: config.replicas, limits: replicaShare(limits, config.replicas) };
  const hooks = createQuotaMetrics(
    registry,
    (level, message, fields) => log[level](fields ?? {}, message),
    share,
  );
  const { maxHoldMs } = config;
  if (!config.redisUrl) return createQuotaPacer({ limits, hooks, maxHoldMs });
  const store = createRedisQuotaStoreOnDemand({ url: config.redisUrl });
  if (!(await store.ready(1000)))
    log.warn(
      { replicas: config.replicas },
      "Redis for the quota windows is not answering yet: pacing in-process, to this replica's share, until it does",
    );
  return createQuotaPacer({ limits, store, hooks, replicas: config.replicas, maxHoldMs });
}
