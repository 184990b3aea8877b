import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { isQuotaStoreError } from '../graph';
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

/**
 * A store failure in words safe to log: the store's own (`timeout after 1000 ms`, `connection refused to
 * 127.0.0.1:6379`, see `QuotaStoreError`), never an error object (it would print `[object Object]`, or carry a
 * command and its arguments).
 */
export function storeFailure(error: unknown): { cause: string; reason: string } {
  if (isQuotaStoreError(error)) return { cause: error.message, reason: error.reason };
  if (error === undefined) return { cause: 'unknown', reason: 'error' };
  return { cause: error instanceof Error ? error.name : typeof error, reason: 'error' };
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
    help: 'Graph calls not sent because quota budget could not free up before the deadline, or the gateway began draining while they waited (THROTTLED).',
    labelNames: ['kind'],
    registers: [registry],
  });
  const late = new SeriesCounter({
    name: 'intune_gateway_quota_late_total',
    help: 'Graph calls counted from later than their grant: their attempt ended (or still went on, or they still waited to be sent) more than GRAPH_QUOTA_MARGIN_MS after their budget was taken, and Graph may have received them that late. Many of them: raise the margin.',
    labelNames: ['kind'],
    registers: [registry],
  });
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
    late(count, kind) {
      late.inc({ kind }, count);
    },
    ...createStoreMetrics(registry, log, share),
  };
}

/** Which state the store is in: `fallback_active`, and `store_state` by name (shared or fallback). */
function createStateMetrics(registry: Registry) {
  const fallbackActive = new Gauge({
    name: 'intune_gateway_quota_fallback_active',
    help: '1 while this replica paces in-process because the shared quota store is unreachable.',
    registers: [registry],
  });
  const state = new Gauge({
    name: 'intune_gateway_quota_store_state',
    help: '1 for the state the quota store is in: shared (Redis) or fallback (in-process); absent without Redis.',
    labelNames: ['state'],
    registers: [registry],
  });
  const showState = (current: 'shared' | 'fallback') => {
    state.set({ state: 'shared' }, current === 'shared' ? 1 : 0);
    state.set({ state: 'fallback' }, current === 'fallback' ? 1 : 0);
  };
  return { fallbackActive, showState };
}

/**
 * How often and why this replica fell back (by reason), and the seconds spent falling back (counted up to the
 * scrape, not only when it ends).
 */
function createFallbackMetrics(registry: Registry) {
  const fallbacks = new Counter({
    name: 'intune_gateway_quota_fallbacks_total',
    help: 'Times this replica fell back to in-process pacing, by reason: timeout, unreachable, full (Redis out of memory), lost (its windows flushed or emptied) or error.',
    labelNames: ['reason'],
    registers: [registry],
  });
  let fellBackAt: number | null = null;
  let counted = 0;
  const fallbackSeconds = new Counter({
    name: 'intune_gateway_quota_fallback_seconds_total',
    help: 'Seconds this replica spent pacing in-process because the shared quota store was unreachable.',
    registers: [registry],
    collect() {
      if (fellBackAt === null) return;
      const now = Date.now();
      this.inc(Math.max(0, now - counted) / 1000);
      counted = now;
    },
  });
  return {
    fellBack(reason: string) {
      fallbacks.inc({ reason });
      fellBackAt = counted = Date.now();
    },
    /** The seconds the fallback lasted (0 if none was under way). */
    back(): number {
      const now = Date.now();
      const seconds = fellBackAt === null ? 0 : (now - fellBackAt) / 1000;
      if (fellBackAt !== null) fallbackSeconds.inc(Math.max(0, now - counted) / 1000);
      fellBackAt = null;
      return seconds;
    },
  };
}

/**
 * The shared store's metrics and its two log lines: which state it is in (`shared` or `fallback`), how often and
 * why this replica fell back (by reason; the warning says the cause in words), and the seconds spent falling back
 * (counted up to the scrape, not only when it ends).
 */
function createStoreMetrics(
  registry: Registry,
  log: QuotaLog,
  share: QuotaFallbackShare | undefined,
): Pick<QuotaHooks, 'storeError' | 'fallback'> {
  const storeErrors = new Counter({
    name: 'intune_gateway_quota_store_errors_total',
    help: 'Failed or timed-out calls to the shared quota store (Redis), recovery probes included.',
    registers: [registry],
  });
  const { fallbackActive, showState } = createStateMetrics(registry);
  const fallbacks = createFallbackMetrics(registry);
  if (share) showState('shared');
  let lastError: unknown;
  return {
    storeError(error) {
      lastError = error;
      storeErrors.inc();
    },
    fallback(active) {
      fallbackActive.set(active ? 1 : 0);
      showState(active ? 'fallback' : 'shared');
      if (active) {
        const failure = storeFailure(lastError);
        fallbacks.fellBack(failure.reason);
        log(
          'warn',
          "quota store unreachable: pacing Graph calls in-process, to this replica's share of what is left, until it is back",
          { ...failure, ...shareFields(share) },
        );
        return;
      }
      const seconds = fallbacks.back();
      log(
        'info',
        'quota store reachable again: its grants written back, pacing Graph calls shared with other replicas',
        { fallbackSeconds: Math.round(seconds * 1000) / 1000 },
      );
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

/**
 * `intune_gateway_quota_store_node{node}`: 1 for the Redis node in use for the quota windows (the master a Sentinel
 * named, the Cluster's masters, or the one Redis), 0 for the ones used before; set each time the connection is
 * ready. Addresses only: a handful of series over a process's life.
 */
export function createStoreNodeMetric(registry: Registry): (node: string) => void {
  const gauge = new Gauge({
    name: 'intune_gateway_quota_store_node',
    help: 'Redis node in use for the shared quota windows (1), or used before (0): the one Redis, the Cluster masters, or the master Sentinel named.',
    labelNames: ['node'],
    registers: [registry],
  });
  const seen = new Set<string>();
  return (node) => {
    for (const earlier of seen) gauge.set({ node: earlier }, 0);
    seen.add(node);
    gauge.set({ node }, 1);
  };
}

/**
 * 1 while the Redis of the quota windows may evict them (a `maxmemory` and a policy other than `noeviction`, read
 * each time it answers again), else 0: an alert on it catches a managed Redis left at its default `volatile-lru`.
 */
export function createStoreEvictionMetric(registry: Registry): (evicting: boolean) => void {
  const gauge = new Gauge({
    name: 'intune_gateway_quota_store_evicting',
    help: '1 while the Redis of the shared quota windows may evict them (maxmemory set, maxmemory-policy not noeviction).',
    registers: [registry],
  });
  return (evicting) => gauge.set(evicting ? 1 : 0);
}
