import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createQuotaPacer, createRedisQuotaStore, replicaShare } from './graph';
import type { QuotaConfig, QuotaLimits, QuotaPacer } from './graph';
import {
  createQuotaMetrics,
  createStoreEvictionMetric,
  createStoreNodeMetric,
} from './observability/quota-metrics';
import { REDIS_ANSWERING, redisAnswering } from './redis/answering';
import { createRedisConnection, redisNodeInUse } from './redis/connection';
import type { RedisConnection } from './redis/connection';
import { evicts, readMemoryInfo } from './redis/memory-policy';
import { describeRedis, redisEndpoint } from './redis/settings';
import type { RedisSettings } from './redis/settings';
import { warnAndWatchOutages } from './redis/tls-watch';

/** Redis's own bound on a command, well past the pacer's: it only frees commands a Redis never answers. */
const redisCommandBound = (timeoutMs: number) => 2 * timeoutMs + 5_000;

/**
 * Whether the Redis that answered may evict the windows (src/redis/memory-policy.ts): a metric, and a warning if it
 * may. An ACL user without INFO is told nothing: the metric stays unset, and docs/quotas.md says what to set.
 */
async function checkEviction(
  connection: RedisConnection,
  show: (evicting: boolean) => void,
  warn: (fields: object, message: string) => void,
): Promise<void> {
  const infos = await readMemoryInfo(connection).catch(() => []);
  if (infos.length === 0) return;
  const evicting = infos.find(evicts);
  show(evicting !== undefined);
  if (!evicting) return;
  warn(
    { maxmemoryPolicy: evicting.policy, maxmemory: evicting.maxmemory },
    "Redis for the quota windows may evict them (maxmemory-policy is not noeviction): an evicted call is forgotten and the replicas may go over Intune's limits; set maxmemory-policy noeviction",
  );
}

/**
 * The Redis store of the quota windows, on a connection from the gateway's one factory (one Redis, a Cluster or
 * Sentinel's master). Each time Redis answers on it again (at start, after a restart, after a failover; not at a
 * 'ready' that AUTH or the server's TLS then refuses: src/redis/answering.ts) one line and a metric say which node
 * or master is in use, and whether it may evict the windows.
 */
function createSharedStore(
  config: QuotaConfig,
  settings: RedisSettings,
  registry: Registry,
  log: Logger,
) {
  const connection = createRedisConnection(settings, {
    commandTimeoutMs: redisCommandBound(config.redisTimeoutMs),
  });
  const showNode = createStoreNodeMetric(registry);
  const showEviction = createStoreEvictionMetric(registry);
  connection.on(REDIS_ANSWERING, () => {
    const node = redisNodeInUse(settings, connection);
    showNode(node);
    const fields = { redis: describeRedis(settings), node };
    log.info(fields, 'Redis for the quota windows is ready');
    void checkEviction(connection, showEviction, (more, message) =>
      log.warn({ ...fields, ...more }, message),
    );
  });
  return {
    connection,
    store: createRedisQuotaStore({
      connection,
      address: redisEndpoint(settings),
      answering: (withinMs) => redisAnswering(connection, withinMs),
    }),
  };
}

/**
 * Start-up waits a second for Redis at most; then the pacer serves in-process until it answers, and the warnings
 * say why when ioredis does not (src/redis/tls-watch.ts).
 */
async function waitAtStart(
  shared: ReturnType<typeof createSharedStore>,
  settings: RedisSettings,
  replicas: number,
  log: Logger,
): Promise<void> {
  const fields = { replicas, redis: describeRedis(settings) };
  await warnAndWatchOutages(shared.connection, settings, await shared.store.ready(1000), {
    notYet: (cause) =>
      log.warn(
        { ...fields, ...(cause ? { cause } : {}) },
        'Redis for the quota windows is not answering yet: pacing in-process, under the fallback rule, until it does',
      ),
    stillNot: (cause) =>
      log.warn(
        { ...fields, cause },
        'Redis for the quota windows is still not answering: pacing in-process, under the fallback rule, until it does',
      ),
  });
}

/**
 * Intune quota pacing for this process: in-process windows, or windows shared by every replica through Redis
 * (REDIS_URL, REDIS_CLUSTER or REDIS_SENTINELS). A Redis that is down at start does not stop the gateway: the
 * pacer serves in-process, under the fallback rule (docs/quotas.md, "Redis outages"), and says so once.
 * `attemptTimeoutMs` (GRAPH_TIMEOUT_MS): how long a call sent and not answered may still reach Graph.
 */
export async function createQuotaPacing(
  config: QuotaConfig,
  redis: RedisSettings | null,
  registry: Registry,
  log: Logger,
  attemptTimeoutMs: number,
): Promise<QuotaPacer | undefined> {
  if (!config.limits) return undefined;
  const limits: QuotaLimits = {
    ...config.limits,
    windowMs: config.limits.windowMs + config.marginMs,
  };
  // What the one warning on losing Redis says this replica falls back to; only a gateway sharing Redis has one.
  const share = redis
    ? { replicas: config.replicas, limits: replicaShare(limits, config.replicas) }
    : undefined;
  const hooks = createQuotaMetrics(
    registry,
    (level, message, fields) => log[level](fields ?? {}, message),
    share,
  );
  const { maxHoldMs, marginMs } = config;
  const settings = { maxHoldMs, marginMs, attemptTimeoutMs };
  if (!redis) return createQuotaPacer({ limits, hooks, ...settings });
  const shared = createSharedStore(config, redis, registry, log);
  await waitAtStart(shared, redis, config.replicas, log);
  return createQuotaPacer({
    limits,
    store: shared.store,
    hooks,
    replicas: config.replicas,
    storeTimeoutMs: config.redisTimeoutMs,
    ...settings,
  });
}
