import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { QuotaHooks, QuotaLimits } from '../graph';
import { SeriesCounter, SeriesHistogram } from './series-metrics';

export type QuotaLogLevel = 'warn' | 'info' | 'debug';
/** The gateway's logger, adapted: `(level, message, fields)`. Fields never hold a token, a key or the URL. */
export type QuotaLog = (
  level: QuotaLogLevel,
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** What a replica paces to while the shared store is unreachable: its share of each limit (`replicaShare`). */
export interface QuotaFallbackShare {
  readonly replicas: number;
  readonly limits: QuotaLimits;
}

/** A call held longer than this for budget gets a debug line. */
export const SLOW_QUOTA_WAIT_MS = 1_000;

/** Type, code and message only: ioredis errors carry the command and its arguments, never logged. */
function summarize(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message.slice(0, 200),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** The share as the warning shows it: the replica count and the four limits (the window does not change). */
function shareFields(share: QuotaFallbackShare | undefined): Record<string, unknown> {
  if (!share) return {};
  const { appWrites, tenantWrites, appCalls, tenantCalls } = share.limits;
  return { replicas: share.replicas, share: { appWrites, tenantWrites, appCalls, tenantCalls } };
}

/**
 * Prometheus metrics for quota pacing, and the few log lines it deserves: one warning when the shared store is
 * lost (saying the share of the limits this replica now paces to), one line when it is back, a debug line for a
 * wait over a second. Returns the pacer's hooks.
 */
export function createQuotaMetrics(
  registry: Registry,
  log: QuotaLog = () => {},
  share?: QuotaFallbackShare,
): QuotaHooks {
  const waitSeconds = new SeriesHistogram({
    name: 'intune_gateway_quota_wait_seconds',
    help: 'Time a Graph call was held for quota budget before it was sent or refused (0 when budget was there).',
    labelNames: ['kind'],
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 20, 30],
    registers: [registry],
  });
  const refused = new SeriesCounter({
    name: 'intune_gateway_quota_refused_total',
    help: 'Graph calls not sent because quota budget could not free up before the deadline (THROTTLED).',
    labelNames: ['kind'],
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'intune_gateway_quota_store_errors_total',
    help: 'Failed or timed-out calls to the shared quota store (Redis).',
    registers: [registry],
  });
  const fallbackActive = new Gauge({
    name: 'intune_gateway_quota_fallback_active',
    help: '1 while this replica paces in-process because the shared quota store is unreachable.',
    registers: [registry],
  });
  let lastError: unknown;
  return {
    ...createAdaptiveLimitHooks(registry, log),
    waited(ms, kind) {
      waitSeconds.observe({ kind }, ms / 1000);
      if (ms > SLOW_QUOTA_WAIT_MS)
        log('debug', 'graph call waited for quota budget', { waitedMs: ms, kind });
    },
    refused(kind) {
      refused.inc({ kind });
    },
    storeError(error) {
      lastError = error;
      storeErrors.inc();
    },
    fallback(active) {
      fallbackActive.set(active ? 1 : 0);
      if (active)
        log(
          'warn',
          "quota store unreachable: pacing Graph calls in-process, to this replica's share of the limits, until it is back",
          { error: summarize(lastError), ...shareFields(share) },
        );
      else
        log('info', 'quota store reachable again: pacing Graph calls shared with other replicas');
    },
  };
}

/**
 * The adaptive limit (src/graph/quota/throttle.ts): the lowest app limit in force per kind (the configured one while
 * Graph has not throttled below it), how many tenant and app pairs are lowered, how often a 429 lowered one; a
 * warning when a limit is lowered, an info line when it is back, a debug line for each step up.
 */
function createAdaptiveLimitHooks(
  registry: Registry,
  log: QuotaLog,
): Pick<QuotaHooks, 'limitChanged'> {
  const effective = new Gauge({
    name: 'intune_gateway_quota_effective_limit',
    help: "The lowest per-app limit in force (appWrites for write, appCalls for read): lowered after Graph's 429s, raised back each window without one.",
    labelNames: ['kind'],
    registers: [registry],
  });
  const lowered = new Gauge({
    name: 'intune_gateway_quota_lowered_limits',
    help: "Tenant and app pairs whose limit is lowered after Graph's 429s.",
    labelNames: ['kind'],
    registers: [registry],
  });
  const decreases = new Counter({
    name: 'intune_gateway_quota_limit_decreases_total',
    help: "Times a tenant and app's limit was lowered: Graph throttled (cause throttled), or another replica's block was seen (cause block).",
    labelNames: ['kind', 'cause'],
    registers: [registry],
  });
  return {
    limitChanged(change) {
      const { tenant, app, kind, limit, base, cause } = change;
      effective.set({ kind }, change.lowest);
      lowered.set({ kind }, change.lowered);
      const fields = { tenant, app, kind, limit, configured: base, cause };
      if (cause !== 'raised') {
        decreases.inc({ kind, cause });
        log(
          'warn',
          "Graph throttled below the gateway's limit: lowering it for this tenant and app",
          fields,
        );
      } else if (limit >= base) log('info', 'quota limit back to the configured one', fields);
      else log('debug', 'quota limit raised after a window without 429', fields);
    },
  };
}
