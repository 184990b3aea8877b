import { readClientCertificate } from './client-certificate';
import type { RedisClientCertificate } from './client-certificate';

/**
 * Where the gateway's Redis is and how to reach it, read once from the environment and checked: one Redis
 * (REDIS_URL), a Redis Cluster through a seed node (REDIS_CLUSTER=true), or a master found through Sentinel
 * (REDIS_SENTINELS, REDIS_SENTINEL_NAME). Every Redis user (the quota windows, persisted documents) connects through
 * `createRedisConnection` with these settings. Passwords are never echoed: not in an error, a log line or a metric.
 */

export type RedisEnv = Readonly<Record<string, string | undefined>>;

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** Credentials and TLS, for the data nodes (and, with Sentinel, the sentinels' own). */
export interface RedisAuth {
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
}

export type RedisSettings = (
  | { readonly mode: 'single'; readonly url: string }
  | { readonly mode: 'cluster'; readonly seed: RedisNode; readonly auth: RedisAuth }
  | {
      readonly mode: 'sentinel';
      readonly sentinels: readonly RedisNode[];
      readonly name: string;
      readonly auth: RedisAuth;
      readonly db: number;
      /** The sentinels' own password (REDIS_SENTINEL_PASSWORD), when they require one. */
      readonly sentinelPassword?: string;
    }
) & {
  /** Presented on every TLS connection, to the sentinels too (REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE). */
  readonly clientCertificate?: RedisClientCertificate;
};

export type RedisSettingsResult =
  | { readonly ok: true; readonly settings: RedisSettings | null }
  | { readonly ok: false; readonly variable: string; readonly problem: string };

const refuse = (variable: string, problem: string): RedisSettingsResult => ({
  ok: false,
  variable,
  problem,
});

/** A `redis://` or `rediss://` URL with a host, an optional database and nothing else; null when it is not. */
function parseRedisUrl(raw: string): URL | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  const valid =
    (url.protocol === 'redis:' || url.protocol === 'rediss:') &&
    url.hostname !== '' &&
    /^(\/\d{0,5})?$/.test(url.pathname) &&
    !url.search &&
    !url.hash;
  return valid ? url : null;
}

/** `host:port` or `[v6]:port`; null when it is not one. */
export function parseNode(text: string): RedisNode | null {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text.trim());
  if (!match) return null;
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) return null;
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function decoded(text: string): string | undefined {
  if (text === '') return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function authOf(url: URL): RedisAuth {
  const username = decoded(url.username);
  const password = decoded(url.password);
  return {
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    tls: url.protocol === 'rediss:',
  };
}

const URL_PROBLEM =
  'must be a redis:// or rediss:// URL like redis://host:6379/0 (value not shown: it may hold a password)';

const SENTINEL_ONLY = ['REDIS_SENTINEL_PASSWORD', 'REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_TLS'];

/** REDIS_SENTINELS and its companions: the master group's name, credentials, TLS and database. */
function sentinelSettings(env: RedisEnv, list: string): RedisSettingsResult {
  if (env.REDIS_URL?.trim())
    return refuse(
      'REDIS_URL',
      'cannot be used with REDIS_SENTINELS: the sentinels find the master (set its password with REDIS_PASSWORD)',
    );
  const name = env.REDIS_SENTINEL_NAME?.trim();
  if (!name)
    return refuse('REDIS_SENTINEL_NAME', 'must name the master group when REDIS_SENTINELS is set');
  const sentinels = list.split(',').map((entry) => parseNode(entry));
  if (sentinels.some((node) => node === null))
    return refuse(
      'REDIS_SENTINELS',
      `must be host:port entries separated by commas, got "${list}"`,
    );
  const tls = env.REDIS_TLS?.trim().toLowerCase() ?? 'false';
  if (tls !== 'true' && tls !== 'false')
    return refuse('REDIS_TLS', `must be true or false, got "${env.REDIS_TLS}"`);
  const db = env.REDIS_DB?.trim() || '0';
  if (!/^\d{1,5}$/.test(db))
    return refuse('REDIS_DB', `must be a database number, got "${env.REDIS_DB}"`);
  const auth: RedisAuth = {
    ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
    tls: tls === 'true',
  };
  const sentinelPassword = env.REDIS_SENTINEL_PASSWORD;
  return {
    ok: true,
    settings: {
      mode: 'sentinel',
      sentinels: sentinels as RedisNode[],
      name,
      auth,
      db: Number(db),
      ...(sentinelPassword ? { sentinelPassword } : {}),
    },
  };
}

/** Whether the connections to the data nodes (and, with Sentinel, to the sentinels) use TLS. */
export function usesTls(settings: RedisSettings): boolean {
  if (settings.mode === 'single') return settings.url.trim().toLowerCase().startsWith('rediss:');
  return settings.auth.tls;
}

/**
 * Reads and checks the Redis variables once, at start; a bad one or a bad combination is named. A client
 * certificate's files are read now too (src/redis/client-certificate.ts).
 */
export function readRedisSettings(env: RedisEnv): RedisSettingsResult {
  const result = readDeployment(env);
  if (!result.ok) return result;
  const { settings } = result;
  const certificate = readClientCertificate(env, settings !== null && usesTls(settings));
  if (!certificate.ok) return certificate;
  if (!settings || !certificate.certificate) return result;
  return { ok: true, settings: { ...settings, clientCertificate: certificate.certificate } };
}

/** Where Redis is: one Redis, a Cluster's seed, or the sentinels; with credentials and TLS. */
function readDeployment(env: RedisEnv): RedisSettingsResult {
  const cluster = env.REDIS_CLUSTER?.trim().toLowerCase() ?? 'false';
  if (cluster !== 'true' && cluster !== 'false')
    return refuse('REDIS_CLUSTER', `must be true or false, got "${env.REDIS_CLUSTER}"`);
  const sentinels = env.REDIS_SENTINELS?.trim();
  if (sentinels && cluster === 'true')
    return refuse(
      'REDIS_SENTINELS',
      'cannot be used with REDIS_CLUSTER=true: a Redis Cluster has no sentinels',
    );
  if (sentinels) return sentinelSettings(env, sentinels);
  for (const name of ['REDIS_SENTINEL_NAME', ...SENTINEL_ONLY, 'REDIS_DB'])
    if (env[name])
      return refuse(name, 'is only read with REDIS_SENTINELS (otherwise REDIS_URL says it all)');
  const raw = env.REDIS_URL?.trim();
  if (!raw)
    return cluster === 'true'
      ? refuse('REDIS_CLUSTER', 'needs REDIS_URL, the address of one node of the cluster')
      : { ok: true, settings: null };
  const url = parseRedisUrl(raw);
  if (!url) return refuse('REDIS_URL', URL_PROBLEM);
  if (cluster === 'false') return { ok: true, settings: { mode: 'single', url: raw } };
  if (url.pathname.length > 1 && url.pathname !== '/0')
    return refuse(
      'REDIS_URL',
      'names a database other than 0: a Redis Cluster has only database 0',
    );
  const seed = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) };
  return { ok: true, settings: { mode: 'cluster', seed, auth: authOf(url) } };
}

/** `host:port`, an IPv6 host in brackets. */
export const nodeText = ({ host, port }: RedisNode) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/**
 * Where Redis is, in the words of an error that does not name a node: `host:port` of one Redis or of the Cluster's
 * seed, or the master group's name with Sentinel. Never credentials.
 */
export function redisEndpoint(settings: RedisSettings): string {
  if (settings.mode === 'cluster') return nodeText(settings.seed);
  if (settings.mode === 'sentinel') return `sentinel master "${settings.name}"`;
  const url = new URL(settings.url);
  return `${url.hostname}:${url.port || '6379'}`;
}

/** How the settings read in a log line or a metric: addresses and the mode, never a user name or password. */
export function describeRedis(settings: RedisSettings): string {
  if (settings.mode === 'cluster')
    return `cluster via ${settings.auth.tls ? 'rediss' : 'redis'}://${nodeText(settings.seed)}`;
  if (settings.mode === 'sentinel')
    return `sentinel master "${settings.name}" via ${settings.sentinels.map(nodeText).join(',')}`;
  const url = new URL(settings.url);
  return `${url.protocol}//${url.host}${url.pathname.length > 1 ? url.pathname : ''}`;
}
