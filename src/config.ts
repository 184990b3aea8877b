import { isIPv4 } from 'node:net';
import { readRedisSettings } from './redis/settings';
import type { RedisSettings } from './redis/settings';
import { readQueryLimits } from './graphql/limits';
import type { QueryLimits } from './graphql/limits';
import { readPersistedSettings } from './graphql/persisted/settings';
import type { PersistedSettings } from './graphql/persisted/settings';
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_TENANT_CAP,
  readProxyConfig,
  readQuotaConfig,
} from './graph';
import type { GraphProxyConfig, QuotaConfig } from './graph';

/** How config.ts reads one variable: each reader throws a `ConfigError` that names it, here and in the modules it
 * hands them to (src/graph/quota/settings.ts, src/graphql/persisted/settings.ts, src/graphql/limits.ts). */
/** A bad value in the environment; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export const refuse = (variable: string, problem: string): never => {
  throw new ConfigError(variable, problem);
};

export function integer(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()))
    throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

/** Everything the gateway reads from the environment, validated once at start. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Graph's root with its version, without a trailing slash, e.g. `https://graph.microsoft.com/beta`. */
  readonly graphBaseUrl: string;
  readonly graphTimeoutMs: number;
  readonly graphMaxResponseBytes: number;
  readonly graphMaxRetries: number;
  readonly graphMaxRetryDelayMs: number;
  readonly graphRetryBaseDelayMs: number;
  /** Budget of one GraphQL operation across all its Graph calls and retries. */
  readonly graphDeadlineMs: number;
  /** Calls of one tenant in flight to Graph at once, of the pool's connections (src/graph/tenant-cap/policy.ts). */
  readonly graphTenantMaxInFlight: number;
  /** Egress proxy for Graph: GRAPH_PROXY_URL, or HTTPS_PROXY / HTTP_PROXY / NO_PROXY (docs/proxy.md). */
  readonly graphProxy: GraphProxyConfig;
  readonly logLevel: LogLevel;
  /** `NODE_ENV=production` (any case): introspection off by default, suggestions hidden. */
  readonly production: boolean;
  readonly introspection: boolean;
  /** The most inputs one bulk mutation may carry (MAX_BULK_INPUTS). */
  readonly maxBulkInputs: number;
  /** CORS_ORIGINS; empty means the default of src/server/cors.ts (loopback origins outside production, none in it). */
  readonly corsOrigins: readonly string[];
  /** How long in-flight requests may take to finish after SIGTERM before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** OTLP/HTTP endpoint for traces; tracing is off without it. */
  readonly otlpEndpoint: string | null;
  /** Serve the schema as an Apollo Federation 2 subgraph. */
  readonly federation: boolean;
  /** The most time a client may take to send one whole request (slowloris). */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  readonly keepAliveTimeoutMs: number;
  /** A separate port for `/metrics` (then not served on `port`); null serves it on `port`. */
  readonly metricsPort: number | null;
  /** What one GraphQL document may ask (GRAPHQL_MAX_DEPTH, _ALIASES, _FIELDS, _DOCUMENT_LENGTH, _TOKENS, _INTROSPECTION_*). */
  readonly queryLimits: QueryLimits;
  /** Graph quota pacing (GRAPH_QUOTAS, GRAPH_QUOTA_*): `limits` null when off; shared through `redis` when set. */
  readonly quotas: QuotaConfig;
  /** Where the shared Redis is (REDIS_URL, REDIS_CLUSTER, REDIS_SENTINELS…), or null: src/redis/settings.ts. */
  readonly redis: RedisSettings | null;
  /** Automatic persisted queries and trusted documents (GRAPHQL_APQ*, GRAPHQL_TRUSTED_DOCUMENTS*). */
  readonly persisted: PersistedSettings;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com/beta';

/**
 * Graph's root in each national cloud; tokens do not work across clouds.
 * https://learn.microsoft.com/graph/deployments#microsoft-graph-and-graph-explorer-service-root-endpoints
 */
export const GRAPH_CLOUDS: Readonly<Record<string, string>> = {
  global: 'https://graph.microsoft.com',
  usgov: 'https://graph.microsoft.us',
  dod: 'https://dod-graph.microsoft.us',
  china: 'https://microsoftgraph.chinacloudapi.cn',
};

/**
 * Literal loopback only: `localhost`, `[::1]` and 127.0.0.0/8 as the URL parser writes it (it turns `127.1` or
 * `0x7f000001` into `127.0.0.1`). A name that merely starts with `127.` (`127.evil.example`, `127.0.0.1.nip.io`)
 * resolves wherever its owner wants.
 */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  return isIPv4(hostname) && hostname.startsWith('127.');
}

/**
 * Graph's root URL. It must be https (tokens travel with every request), except on loopback, where the
 * built-in emulator runs on plain http.
 */
function graphBaseUrl(env: Env): string {
  const cloud = env.GRAPH_CLOUD?.trim().toLowerCase() || 'global';
  const root = GRAPH_CLOUDS[cloud];
  if (!root)
    throw new ConfigError(
      'GRAPH_CLOUD',
      `must be one of ${Object.keys(GRAPH_CLOUDS).join(', ')}, got "${env.GRAPH_CLOUD}"`,
    );
  const raw = env.GRAPH_BASE_URL?.trim() || `${root}/beta`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('GRAPH_BASE_URL', `must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname)))
    throw new ConfigError(
      'GRAPH_BASE_URL',
      `must use https (plain http only on localhost, 127.0.0.0/8 or [::1]), got "${raw}"`,
    );
  if (url.username || url.password || url.search || url.hash)
    throw new ConfigError('GRAPH_BASE_URL', 'must not hold credentials, a query or a fragment');
  return url.href.replace(/\/+$/, '');
}

function logLevel(env: Env): LogLevel {
  const raw = env.LOG_LEVEL?.trim().toLowerCase() || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw))
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  return raw as LogLevel;
}

function corsOrigins(env: Env): string[] {
  const raw = env.CORS_ORIGINS?.trim();
  if (!raw) return [];
  return raw.split(',').map((entry) => {
    const origin = entry.trim();
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== origin)
      throw new ConfigError(
        'CORS_ORIGINS',
        `must be a comma-separated list of origins like https://app.example.com, got "${origin}"`,
      );
    return origin;
  });
}

function otlpEndpoint(env: Env): string | null {
  const raw = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!raw) return null;
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return raw;
  } catch {
    // reported below
  }
  throw new ConfigError('OTEL_EXPORTER_OTLP_ENDPOINT', `must be an http(s) URL, got "${raw}"`);
}

function redisSettings(env: Env): RedisSettings | null {
  const result = readRedisSettings(env);
  if (!result.ok) throw new ConfigError(result.variable, result.problem);
  return result.settings;
}

function graphProxy(env: Env): GraphProxyConfig {
  const result = readProxyConfig(env);
  if (!result.ok) throw new ConfigError(result.variable, result.problem);
  return result.config;
}

const NODE_ENVS = ['production', 'development', 'test'] as const;

/** `Production` counts as production: a typo in case must not silently turn introspection and the explorer on. */
function isProduction(env: Env): boolean {
  const raw = env.NODE_ENV?.trim().toLowerCase();
  if (!raw) return false;
  if (!(NODE_ENVS as readonly string[]).includes(raw))
    throw new ConfigError(
      'NODE_ENV',
      `must be one of ${NODE_ENVS.join(', ')}, got "${env.NODE_ENV}"`,
    );
  return raw === 'production';
}

/** METRICS_PORT: `/metrics` on a port of its own, so that it can stay off the public one. */
function metricsPort(env: Env): number | null {
  if (!env.METRICS_PORT?.trim()) return null;
  const port = integer(env, 'METRICS_PORT', 0, 1, 65535);
  if (port === integer(env, 'PORT', 4000, 0, 65535))
    throw new ConfigError('METRICS_PORT', `must differ from PORT, got ${port}`);
  return port;
}

/** Graph: where it is, how long and how often a call may try, how many at once, through which proxy. */
function graphSettings(env: Env) {
  return {
    graphBaseUrl: graphBaseUrl(env),
    graphTimeoutMs: integer(env, 'GRAPH_TIMEOUT_MS', 10_000, 1, 600_000),
    graphMaxResponseBytes: integer(
      env,
      'GRAPH_MAX_RESPONSE_BYTES',
      5 * 1024 * 1024,
      1024,
      1024 ** 3,
    ),
    graphMaxRetries: integer(env, 'GRAPH_MAX_RETRIES', 3, 0, 10),
    graphMaxRetryDelayMs: integer(env, 'GRAPH_MAX_RETRY_DELAY_MS', 30_000, 0, 600_000),
    graphRetryBaseDelayMs: integer(env, 'GRAPH_RETRY_BASE_DELAY_MS', 3_000, 1, 60_000),
    graphDeadlineMs: integer(env, 'GRAPH_DEADLINE_MS', 30_000, 1, 3_600_000),
    // A quarter of the pool by default (the policy says why); at most the pool, where one tenant may hold all of it.
    graphTenantMaxInFlight: integer(
      env,
      'GRAPH_TENANT_MAX_IN_FLIGHT',
      DEFAULT_TENANT_CAP,
      1,
      DEFAULT_MAX_CONNECTIONS,
    ),
    graphProxy: graphProxy(env),
  };
}

/** Reads and validates the environment; throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: Env): Config {
  const production = isProduction(env);
  return Object.freeze({
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    ...graphSettings(env),
    logLevel: logLevel(env),
    production,
    introspection: boolean(env, 'INTROSPECTION', !production),
    maxBulkInputs: integer(env, 'MAX_BULK_INPUTS', 100, 1, 10_000),
    corsOrigins: Object.freeze(corsOrigins(env)),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    otlpEndpoint: otlpEndpoint(env),
    federation: boolean(env, 'FEDERATION', false),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 10_000, 100, 600_000),
    // Above the 60 s idle timeout of AWS load balancers and NGINX, so that the proxy, not the gateway, closes an
    // idle connection: the other way round, a request the proxy sends on a closing connection fails with a 502.
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 65_000, 100, 600_000),
    metricsPort: metricsPort(env),
    queryLimits: readQueryLimits(env, { integer }),
    quotas: readQuotaConfig(env, { integer, refuse }),
    redis: redisSettings(env),
    persisted: readPersistedSettings(env, { integer, boolean, refuse }),
  });
}
