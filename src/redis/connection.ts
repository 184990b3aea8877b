import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type * as IoRedis from 'ioredis';
import type { ConnectionOptions } from 'node:tls';
import { trackAnswering } from './answering';
import { tlsOptions } from './client-certificate';
import { guardConnectorStreams } from './stream-errors';
import { redisEndpoint, usesTls } from './settings';
import type { RedisAuth, RedisSettings } from './settings';

/** One connection, whatever the deployment: a Redis, a Redis Cluster or a Sentinel-managed master. */
export type RedisConnection = Redis | Cluster;

export interface RedisConnectionOptions {
  /** Bound on each command; a slower answer rejects it (the caller decides what that means). */
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs?: number;
  /** Connection-level errors (commands report theirs by rejecting). Never logs by itself. */
  readonly onConnectionError?: (error: unknown) => void;
}

/**
 * Reconnection in the background with a short capped backoff: a Redis that comes back is used again within half a
 * second, so the replicas return to shared quota windows together (docs/quotas.md, "Redis outages").
 */
export const REDIS_RECONNECT_MAX_MS = 500;
const backoff = (attempt: number) => Math.min(50 * 2 ** attempt, REDIS_RECONNECT_MAX_MS);

/**
 * What every connection shares: never let a request wait on Redis. No offline queue (commands fail at once while
 * disconnected), no resending after a reconnect, a command timeout, no ready check (the first command tells; see
 * src/redis/answering.ts for when Redis answers). https://github.com/redis/ioredis#auto-reconnect
 *
 * No CLIENT SETINFO: without a ready check, ioredis 5.11 says 'ready' once those two commands settle, even when the
 * connection closed meanwhile (a server refusing the client's certificate, or AUTH), after its reconnect was
 * scheduled; that reconnect then finds the status 'ready' and gives up, and the connection never comes back
 * (https://github.com/redis/ioredis/issues/2099, fixed by https://github.com/redis/ioredis/pull/2123). Without them
 * 'ready' comes before the close, and the reconnects go on.
 */
function commonOptions(options: RedisConnectionOptions) {
  return {
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs ?? 1_000,
    disableClientInfo: true,
  } satisfies RedisOptions;
}

function authOptions(
  auth: RedisAuth,
  tls: ConnectionOptions,
): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  return {
    ...(auth.username !== undefined ? { username: auth.username } : {}),
    ...(auth.password !== undefined ? { password: auth.password } : {}),
    ...(auth.tls ? { tls } : {}),
  };
}

/**
 * A Cluster's options. Over TLS, the seed keeps its name: ioredis looks a seed's hostname up and connects to the
 * address it finds (cluster/index.js, `resolveStartupNodeHostnames`), so the certificate is checked against an IP
 * address where it names the host (ElastiCache's and Memorystore's do), and every connection fails. Its README's
 * remedy is a lookup that returns the name as it is ("Special Note: Aws Elasticache Clusters with TLS",
 * https://github.com/redis/ioredis#special-note-aws-elasticache-clusters-with-tls); Node resolves the name when it
 * connects, and checks the certificate against it. Without TLS the address is as good as the name.
 */
export function clusterOptions(
  settings: Extract<RedisSettings, { mode: 'cluster' }>,
  options: RedisConnectionOptions,
): ClusterOptions {
  return {
    enableOfflineQueue: false,
    // The slots must be known before the first command, or it would fail with "Cluster isn't ready".
    enableReadyCheck: true,
    clusterRetryStrategy: backoff,
    slotsRefreshTimeout: options.connectTimeoutMs ?? 1_000,
    // MOVED and ASK are followed (ioredis refreshes its slot table on MOVED); a bound keeps a loop finite.
    maxRedirections: 16,
    ...(settings.auth.tls ? { dnsLookup: keepHostname } : {}),
    redisOptions: {
      ...commonOptions(options),
      ...authOptions(settings.auth, tlsOptions(settings)),
    },
  };
}

const keepHostname: NonNullable<ClusterOptions['dnsLookup']> = (hostname, callback) =>
  callback(null, hostname);

function connectCluster(
  ioredis: typeof IoRedis,
  settings: Extract<RedisSettings, { mode: 'cluster' }>,
  options: RedisConnectionOptions,
): Cluster {
  return new ioredis.Cluster([settings.seed], clusterOptions(settings, options));
}

/** Sentinel's options: the master's, and the sentinels' (their password, TLS with the same client certificate). */
export function sentinelOptions(
  settings: Extract<RedisSettings, { mode: 'sentinel' }>,
  options: RedisConnectionOptions,
): RedisOptions {
  const tls = tlsOptions(settings);
  return {
    ...commonOptions(options),
    ...authOptions(settings.auth, tls),
    enableOfflineQueue: false,
    enableReadyCheck: false,
    retryStrategy: backoff,
    sentinels: settings.sentinels.map(({ host, port }) => ({ host, port })),
    name: settings.name,
    db: settings.db,
    role: 'master',
    ...(settings.sentinelPassword !== undefined
      ? { sentinelPassword: settings.sentinelPassword }
      : {}),
    ...(settings.auth.tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
    sentinelRetryStrategy: backoff,
    sentinelCommandTimeout: options.commandTimeoutMs,
    // Listens for the sentinels' +switch-master: after a failover the promoted master is used at once, not after
    // the old one's connection times out.
    failoverDetector: true,
  };
}

/** One Redis by its URL; over TLS (rediss://) with the client certificate when there is one. */
export function singleOptions(
  settings: Extract<RedisSettings, { mode: 'single' }>,
  options: RedisConnectionOptions,
): RedisOptions {
  return {
    ...commonOptions(options),
    enableOfflineQueue: false,
    enableReadyCheck: false,
    retryStrategy: backoff,
    ...(usesTls(settings) ? { tls: tlsOptions(settings) } : {}),
  };
}

/**
 * The one way the gateway connects to Redis. ioredis is loaded here, on first use: a gateway without Redis never
 * pays for it (a tenth of its start-up code). `require`, not `import()`, so it resolves when run from source too.
 */
export function createRedisConnection(
  settings: RedisSettings,
  options: RedisConnectionOptions,
): RedisConnection {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ioredis = require('ioredis') as typeof IoRedis;
  guardIoredisStreams(ioredis);
  const connection: RedisConnection =
    settings.mode === 'cluster'
      ? connectCluster(ioredis, settings, options)
      : settings.mode === 'sentinel'
        ? new ioredis.Redis(sentinelOptions(settings, options))
        : new ioredis.Redis(settings.url, singleOptions(settings, options));
  // Without a listener ioredis prints every connection error to the console.
  connection.on('error', (error: unknown) => options.onConnectionError?.(error));
  keepConnected(connection, options);
  trackAnswering(connection);
  return connection;
}

/** Both of ioredis's connectors (a Cluster's nodes and its slot refreshes use the standalone one): stream-errors.ts. */
export function guardIoredisStreams(ioredis: typeof IoRedis): void {
  // Not among ioredis's exports; its package has no `exports` map, so the file is reachable (ioredis 5).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const standalone = require('ioredis/built/connectors/StandaloneConnector') as {
    default: Parameters<typeof guardConnectorStreams>[0];
  };
  guardConnectorStreams(standalone.default);
  guardConnectorStreams(ioredis.SentinelConnector);
}

/**
 * The gateway's connection lives as long as the gateway: an end it did not ask for is followed by a new connect,
 * REDIS_RECONNECT_MAX_MS later. ioredis can end one on its own: when a Sentinel failover's `+switch-master` reaches
 * its failover detector while the connection is reconnecting, the detector's disconnect makes the connect under way
 * fail with "Connection is closed." and the connection ends for good (connectors/SentinelConnector/index.js,
 * `connectToNext`; Redis.js, `_connect`: `setStatus("end")`), the replica pacing in-process until restarted
 * (https://github.com/redis/ioredis/issues/1683). Seen here under load in the TLS Sentinel failover test. The ends
 * the gateway asks for go through `disconnect()` or `quit()`, marked here.
 */
export function keepConnected(
  connection: Pick<RedisConnection, 'on' | 'connect' | 'disconnect' | 'quit' | 'status'>,
  options: Pick<RedisConnectionOptions, 'onConnectionError'>,
): void {
  let closing = false;
  const disconnect = connection.disconnect.bind(connection);
  const quit = connection.quit.bind(connection);
  connection.disconnect = (reconnect = false) => {
    if (!reconnect) closing = true;
    disconnect(reconnect);
  };
  connection.quit = () => {
    closing = true;
    return quit();
  };
  connection.on('end', () => {
    if (closing) return;
    options.onConnectionError?.(new Error('the connection ended on its own; connecting again'));
    setTimeout(() => {
      if (!closing && connection.status === 'end') connection.connect().catch(() => undefined);
    }, REDIS_RECONNECT_MAX_MS).unref();
  });
}

/**
 * The node in use now, for a log line or a metric: the cluster's masters, or the address the connection reached
 * (the master a Sentinel gave, or the one Redis). Addresses only, never credentials.
 */
export function redisNodeInUse(settings: RedisSettings, connection: RedisConnection): string {
  if ('nodes' in connection && settings.mode === 'cluster') {
    const masters = connection
      .nodes('master')
      .map((node) => `${node.options.host}:${node.options.port}`);
    return masters.length > 0 ? masters.sort().join(',') : redisEndpoint(settings);
  }
  const stream = (connection as Redis).stream;
  if (!stream?.remoteAddress) return redisEndpoint(settings);
  const host = stream.remoteAddress.includes(':')
    ? `[${stream.remoteAddress}]`
    : stream.remoteAddress;
  return `${host}:${stream.remotePort ?? ''}`;
}
