import { INTUNE_QUOTA_LIMITS } from './limits';
import type { QuotaLimits } from './limits';

type Env = Readonly<Record<string, string | undefined>>;

/** src/config.ts's readers: each throws its ConfigError, naming the variable. */
export interface QuotaEnvReaders {
  readonly integer: (env: Env, name: string, fallback: number, min: number, max: number) => number;
  readonly refuse: (variable: string, problem: string) => never;
}

/** Quota pacing's settings (GRAPH_QUOTAS, GRAPH_QUOTA_*), read once at start by src/config.ts. */
export interface QuotaConfig {
  readonly limits: QuotaLimits | null;
  /** GRAPH_QUOTA_REPLICAS: replicas sharing the limits; while Redis is unreachable each paces to its share. */
  readonly replicas: number;
  /** GRAPH_QUOTA_REDIS_TIMEOUT_MS: how long a take waits for Redis before this replica paces in-process. */
  readonly redisTimeoutMs: number;
  /** GRAPH_QUOTA_MARGIN_MS: how much longer than Graph's window a call counts (grant-to-arrival spread). */
  readonly marginMs: number;
  /** GRAPH_QUOTA_MAX_HOLD_MS: the longest a 429 holds a tenant and app, whatever its `Retry-After` says. */
  readonly maxHoldMs: number;
}

/**
 * GRAPH_QUOTA_MAX_HOLD_MS: minutes, not a day (`Retry-After: 1e20` must not stop a tenant). At least the window: a
 * 429 without `Retry-After` holds a whole window, and a shorter cap would let calls reach Graph while it throttles.
 */
function maxHoldMs(env: Env, windowMs: number, { integer, refuse }: QuotaEnvReaders): number {
  const value = integer(env, 'GRAPH_QUOTA_MAX_HOLD_MS', 300_000, 1_000, 3_600_000);
  // Unset with a window longer than the default: the window.
  if (value < windowMs && !env.GRAPH_QUOTA_MAX_HOLD_MS?.trim()) return windowMs;
  if (value < windowMs)
    refuse(
      'GRAPH_QUOTA_MAX_HOLD_MS',
      `must be at least GRAPH_QUOTA_WINDOW_MS (${windowMs}), got ${value}`,
    );
  return value;
}

/**
 * Intune's published limits by default (see INTUNE_QUOTA_LIMITS), each adjustable; `GRAPH_QUOTAS=off` turns
 * pacing off.
 */
export function readQuotaConfig(env: Env, readers: QuotaEnvReaders): QuotaConfig {
  const { integer, refuse } = readers;
  const mode = env.GRAPH_QUOTAS?.trim().toLowerCase() || 'intune';
  if (mode !== 'intune' && mode !== 'off')
    refuse('GRAPH_QUOTAS', `must be intune or off, got "${env.GRAPH_QUOTAS}"`);
  const d = INTUNE_QUOTA_LIMITS;
  const limits: QuotaLimits = Object.freeze({
    windowMs: integer(env, 'GRAPH_QUOTA_WINDOW_MS', d.windowMs, 100, 3_600_000),
    appWrites: integer(env, 'GRAPH_QUOTA_APP_WRITES', d.appWrites, 1, 1_000_000),
    tenantWrites: integer(env, 'GRAPH_QUOTA_TENANT_WRITES', d.tenantWrites, 1, 1_000_000),
    appCalls: integer(env, 'GRAPH_QUOTA_APP_CALLS', d.appCalls, 1, 1_000_000),
    tenantCalls: integer(env, 'GRAPH_QUOTA_TENANT_CALLS', d.tenantCalls, 1, 1_000_000),
  });
  return Object.freeze({
    limits: mode === 'off' ? null : limits,
    replicas: integer(env, 'GRAPH_QUOTA_REPLICAS', 1, 1, 1_000),
    // Below 50 ms a busy Redis (or this replica's own busy event loop) would look like an outage; above 30 s a
    // call would wait that long for a Redis that is gone.
    redisTimeoutMs: integer(env, 'GRAPH_QUOTA_REDIS_TIMEOUT_MS', 1_000, 50, 30_000),
    // A call is counted when its budget is granted, Graph counts it when it arrives, and the time in between varies
    // from call to call: without a margin, two calls granted exactly one window apart could arrive less than a
    // window apart. The gateway's windows are this much longer than Graph's.
    marginMs: integer(env, 'GRAPH_QUOTA_MARGIN_MS', 500, 0, 60_000),
    maxHoldMs: maxHoldMs(env, limits.windowMs, readers),
  });
}
