import type { Logger } from 'pino';
import type { Config } from './config';
import type { PersistedQueriesOption } from './graphql/apollo';
import { createApqCache } from './graphql/persisted/apq-cache';
import type { ApqCacheOptions, RefusedValueEvent } from './graphql/persisted/apq-cache';
import type { PersistedPolicy } from './graphql/persisted/resolve';
import { serializeError } from './observability/logging';
import type { GatewayMetrics } from './observability/metrics';
import { REDIS_ANSWERING, redisAnswering } from './redis/answering';
import { createRedisConnection } from './redis/connection';
import type { RedisConnection } from './redis/connection';
import { isReplyError, redisErrorNode, redisErrorWords } from './redis/errors';
import { createMemoryRoom, storedBytes } from './redis/memory-room';
import { describeRedis } from './redis/settings';
import type { RedisSettings } from './redis/settings';
import { warnAndWatchOutages } from './redis/tls-watch';

export interface PersistedOperations {
  readonly policy: PersistedPolicy;
  readonly apollo: PersistedQueriesOption;
  close(): void;
}

/** The part of Redis's `maxmemory` automatic persisted queries may fill (`roomIn`). */
export const APQ_REDIS_MEMORY_SHARE = 0.5;

/** The warning for each value an APQ key in Redis holds that is not used. */
const REFUSED_VALUE_MESSAGES: Readonly<Record<RefusedValueEvent['reason'], string>> = {
  'too-long':
    'Redis holds a value longer than GRAPHQL_MAX_DOCUMENT_LENGTH under an automatic persisted query key: not used',
  'hash-mismatch':
    'Redis holds a value under an automatic persisted query key that is not the document of its hash: not used',
  'wrong-type':
    'Redis holds a key of another type than a string under an automatic persisted query key: not used',
};

/**
 * The APQ connection, and why a command failed in words an operator can use. A command refused while the connection
 * is down says only "Stream isn't writeable and enableOfflineQueue options is false"; the connection's own error
 * since Redis last answered says why (refused, AUTH's refusal, a timeout) and where. Not reset on 'ready': without
 * a ready check, ioredis says 'ready' before AUTH is answered, so a refused password reads ready, then fails.
 */
function connectApqRedis(settings: RedisSettings, commandTimeoutMs: number) {
  let lastConnectionError: unknown;
  const connection = createRedisConnection(settings, {
    commandTimeoutMs,
    onConnectionError: (error) => (lastConnectionError = error),
  });
  const why = (error: unknown) => {
    // Redis answered with an error (OOM, READONLY…): its own words are the cause.
    if (isReplyError(error)) return error;
    if (lastConnectionError) return lastConnectionError;
    return connection.status === 'ready'
      ? error
      : new Error(`not connected (${connection.status})`);
  };
  return { connection, why, answered: () => (lastConnectionError = undefined) };
}

/**
 * A failure as the fields of a log line: the error's message (first line, no password) and code, the node as
 * host:port. Never the error object: a logger with pino's default serializer writes all of it, its stack and what
 * ioredis hangs on it (`command.args`: a key and a document's text, or the password AUTH sent).
 */
function failureFields(error: unknown, settings: RedisSettings) {
  const { message, code } = serializeError(error);
  return {
    redis: describeRedis(settings),
    node: redisErrorNode(error, settings),
    cause: redisErrorWords(message, settings),
    ...(code !== undefined ? { code } : {}),
  };
}

/** What the APQ cache reports about its Redis, as log lines (never a document's text) and a metric. */
function sharedStoreReports(
  metrics: GatewayMetrics,
  logger: Logger,
  redis: { describe(error: unknown): Record<string, unknown>; answered(): void },
): Pick<ApqCacheOptions, 'onSharedStore' | 'onRefusedValue'> {
  return {
    onSharedStore(event) {
      if (event.available) {
        redis.answered();
        return logger.info('Redis answers automatic persisted queries again');
      }
      metrics.observeApqStoreError(event.operation);
      logger.warn(
        redis.describe(event.error),
        'Redis for automatic persisted queries failed: hashes it does not answer are not found (clients resend the document) until it does',
      );
    },
    // Someone else wrote to the key, or the value is corrupted: the hash is not found, and the client resends it.
    onRefusedValue({ reason, key }) {
      logger.warn({ apq: { reason, key } }, REFUSED_VALUE_MESSAGES[reason]);
    },
  };
}

/**
 * APQ writes to Redis only while it is less than half full, each replica its part of what is left (src/redis/
 * memory-room.ts): any caller may register documents (no token needed), and the quota windows in the same Redis must
 * never be refused for memory (docs/hardening.md, "Persisted operations"). Without a `maxmemory`, or with INFO
 * refused, there is no bound to keep to: documents stay in-process.
 */
function roomIn(connection: RedisConnection, replicas: number, logger: Logger) {
  const room = createMemoryRoom(connection, {
    share: APQ_REDIS_MEMORY_SHARE,
    replicas,
    everyMs: 250,
    onChange: (state, info) => {
      const fields = info ? { used: info.used, maxmemory: info.maxmemory } : {};
      if (state === 'room')
        return logger.info(fields, 'Redis has room for automatic persisted queries again');
      logger.warn(fields, ROOM_WARNINGS[state]);
    },
  });
  // When Redis answers (not at 'ready', which a refused password also says): src/redis/answering.ts.
  connection.on(REDIS_ANSWERING, () => room.refresh());
  return (bytes: number) => room.take(storedBytes(bytes));
}

const ROOM_WARNINGS = {
  full: 'Redis is nearly half full: new automatic persisted queries are kept in-process only, leaving the rest to the quota windows',
  unknown:
    'Redis for automatic persisted queries has no maxmemory, or refuses INFO: documents are kept in-process only, so that no caller can fill the Redis of the quota windows',
} as const;

/**
 * Automatic persisted queries (a bounded in-process cache, shared by the replicas through Redis when there is one)
 * and the trusted documents. Redis never fails a request: see src/graphql/persisted/apq-cache.ts.
 */
export async function createPersistedOperations(
  config: Config,
  metrics: GatewayMetrics,
  logger: Logger,
): Promise<PersistedOperations> {
  const { apq, trusted, trustedOnly } = config.persisted;
  const policy: PersistedPolicy = { trusted, trustedOnly, apq: apq !== null };
  if (trusted) logger.info({ documents: trusted.size, trustedOnly }, 'trusted documents loaded');
  if (!apq) return { policy, apollo: false, close: () => undefined };
  const settings = config.redis;
  const redis = settings ? connectApqRedis(settings, apq.redisTimeoutMs) : null;
  const reports = {
    describe: (error: unknown) =>
      settings && redis ? failureFields(redis.why(error), settings) : {},
    answered: () => redis?.answered(),
  };
  const cache = createApqCache({
    maxCharacters: apq.cacheCharacters,
    maxDocumentLength: config.queryLimits.maxDocumentLength,
    ttlSeconds: apq.ttlSeconds,
    ...(redis
      ? {
          shared: redis.connection,
          sharedRoom: roomIn(redis.connection, config.quotas.replicas, logger),
        }
      : {}),
    ...sharedStoreReports(metrics, logger, reports),
  });
  if (settings && redis) await waitAtStart(redis.connection, settings, logger);
  return {
    policy,
    apollo: { cache, ttl: apq.ttlSeconds },
    close: () => redis?.connection.disconnect(),
  };
}

/**
 * Start-up waits a second for the APQ Redis at most, then serves anyway (in-process until it answers). ioredis does
 * not say why a TLS connection fails (src/redis/tls-check.ts): the warning names a certificate not trusted, as the
 * quota windows' does, also when APQ is Redis's only user (GRAPH_QUOTAS=off); later outages too, once each
 * (src/redis/tls-watch.ts).
 */
async function waitAtStart(
  connection: RedisConnection,
  settings: RedisSettings,
  logger: Logger,
): Promise<void> {
  const redis = describeRedis(settings);
  await warnAndWatchOutages(connection, settings, await redisAnswering(connection, 1_000), {
    notYet: (cause) =>
      logger.warn(
        { redis, ...(cause ? { cause } : {}) },
        'Redis for automatic persisted queries is not answering yet: in-process until it does',
      ),
    stillNot: (cause) =>
      logger.warn(
        { redis, cause },
        'Redis for automatic persisted queries is still not answering: in-process until it does',
      ),
  });
}
