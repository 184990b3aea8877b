/** Everything the gateway reads from the environment, validated once at start. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Graph's root with its version, without a trailing slash, e.g. `https://graph.microsoft.com/beta`. */
  readonly graphBaseUrl: string;
  readonly graphTimeoutMs: number;
  readonly graphMaxResponseBytes: number;
  readonly logLevel: LogLevel;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com/beta';

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

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()))
    throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Graph's root URL. It must be https (tokens travel with every request), except on loopback, where the
 * built-in emulator runs on plain http.
 */
function graphBaseUrl(env: Env): string {
  const raw = env.GRAPH_BASE_URL?.trim() || DEFAULT_GRAPH_BASE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('GRAPH_BASE_URL', `must be an absolute URL, got "${raw}"`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith('127.');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new ConfigError('GRAPH_BASE_URL', `must use https (http only on loopback), got "${raw}"`);
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

/** Reads and validates the environment; throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: Env): Config {
  return Object.freeze({
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    graphBaseUrl: graphBaseUrl(env),
    graphTimeoutMs: integer(env, 'GRAPH_TIMEOUT_MS', 10_000, 1, 600_000),
    graphMaxResponseBytes: integer(
      env,
      'GRAPH_MAX_RESPONSE_BYTES',
      5 * 1024 * 1024,
      1024,
      1024 ** 3,
    ),
    logLevel: logLevel(env),
  });
}
