import perfHooks from 'node:perf_hooks';
import type { IntervalHistogram, PerformanceObserverCallback } from 'node:perf_hooks';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GraphAttemptEvent, TenantCapHooks } from '../graph';
import { createOperationLabels } from './operation-names';
import { SeriesCounter, SeriesHistogram } from './series-metrics';

/**
 * Every metric of the gateway's own starts with this, so that one prefix finds them all next to other services'.
 * Node's default metrics keep their standard names (`process_*`, `nodejs_*`): every Node.js dashboard and alert
 * expects them so, and the Prometheus job label already says which service they come from.
 * https://prometheus.io/docs/practices/naming/#metric-names
 */
export const METRIC_PREFIX = 'intune_gateway_';
const PREFIX = METRIC_PREFIX;

export interface OperationOutcome {
  readonly operationName: string | null;
  readonly operationType: string | null;
  /** Graph accepted the caller's token for this operation: only then may its name become a new label. */
  readonly served: boolean;
  /** `ok`, or the first error's code. */
  readonly outcome: string;
  readonly durationSeconds: number;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  observeOperation(outcome: OperationOutcome): void;
  observeAttempt(event: GraphAttemptEvent): void;
  observeBatch(size: number): void;
  /**
   * A GraphQL request by the document it ran: a trusted document's id (from the manifest: a bounded set), `apq`
   * for an automatic persisted query (never its hash: clients choose those), `none` for a document sent whole or
   * a request refused before it named a trusted one; and its outcome, `ok` or the first error code.
   */
  observeDocument(document: string, outcome: string): void;
  /** The shared store of automatic persisted queries (Redis) failed a read or a write. */
  observeApqStoreError(operation: 'get' | 'set'): void;
  /** The tenant cap's calls waiting for a place and refused at their deadline, by lane (`tenant`, `unproven`). */
  readonly tenantCap: TenantCapHooks;
  /** Stops the samplers Node's default metrics started (the gateway is closing). */
  close(): void;
}

/**
 * Node's default metrics (prom-client's `collectDefaultMetrics`) into `registry`, and a function that stops the two
 * samplers they start: a PerformanceObserver of garbage collections and an event-loop delay histogram that samples
 * every 10 ms. prom-client never stops either, so each gateway made in a process stayed in memory after it closed,
 * its samplers still running, with everything they reference: in a jest worker, every spec file's whole module
 * registry. The worker's heap grew from file to file (after GC: 49, 78, 93, 203, 233, 264 MB over six runners) and
 * freeing it at exit outlasted jest's half second ("A worker process has failed to exit gracefully").
 */
function collectDefaultMetricsUntilStopped(registry: Registry): () => void {
  // prom-client reads both constructors from perf_hooks when it is called: what it makes during the call is kept.
  const hooks = perfHooks as {
    PerformanceObserver: typeof perfHooks.PerformanceObserver;
    monitorEventLoopDelay: typeof perfHooks.monitorEventLoopDelay;
  };
  const { PerformanceObserver, monitorEventLoopDelay } = hooks;
  const observers: Array<InstanceType<typeof PerformanceObserver>> = [];
  const histograms: IntervalHistogram[] = [];
  hooks.PerformanceObserver = class extends PerformanceObserver {
    constructor(callback: PerformanceObserverCallback) {
      super(callback);
      observers.push(this);
    }
  };
  hooks.monitorEventLoopDelay = (options) => {
    const histogram = monitorEventLoopDelay(options);
    histograms.push(histogram);
    return histogram;
  };
  try {
    collectDefaultMetrics({ register: registry });
  } finally {
    hooks.PerformanceObserver = PerformanceObserver;
    hooks.monitorEventLoopDelay = monitorEventLoopDelay;
  }
  return () => {
    for (const observer of observers.splice(0)) observer.disconnect();
    for (const histogram of histograms.splice(0)) histogram.disable();
  };
}

/** One registry per gateway instance (tests build several in one process), with Node's default metrics. */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  const stopDefaultMetrics = collectDefaultMetricsUntilStopped(registry);
  const { observeOperation } = createOperationMetrics(registry);
  const { observeAttempt } = createAttemptMetrics(registry);
  const batchSizes = new Histogram({
    name: `${PREFIX}graph_batch_size`,
    help: 'Requests per $batch call.',
    buckets: [1, 2, 5, 10, 15, 20],
    registers: [registry],
  });
  const { observeDocument, observeApqStoreError } = createDocumentMetrics(registry);
  return {
    registry,
    close: stopDefaultMetrics,
    tenantCap: createTenantCapMetrics(registry),
    observeOperation,
    observeAttempt,
    observeBatch(size) {
      batchSizes.observe(size);
    },
    observeDocument,
    observeApqStoreError,
  };
}

/** GraphQL operations by name, type and outcome, and their latency. */
function createOperationMetrics(registry: Registry): Pick<GatewayMetrics, 'observeOperation'> {
  const operations = new SeriesCounter({
    name: `${PREFIX}graphql_operations_total`,
    help: 'GraphQL operations by name, type and outcome (ok or the first error code).',
    labelNames: ['operation', 'type', 'outcome'],
    registers: [registry],
  });
  const operationSeconds = new SeriesHistogram({
    name: `${PREFIX}graphql_operation_duration_seconds`,
    help: 'GraphQL operation latency, from request to response.',
    labelNames: ['operation', 'type'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  // Labels stay low-cardinality: operation names are bounded (see createOperationLabels); never ids or tokens.
  const operationLabels = createOperationLabels();
  return {
    observeOperation(outcome) {
      const labels = {
        operation: operationLabels.label(outcome.operationName, outcome.served),
        type: outcome.operationType ?? 'unknown',
      };
      operations.inc({ ...labels, outcome: outcome.outcome });
      operationSeconds.observe(labels, outcome.durationSeconds);
    },
  };
}

/** Each HTTP call to Microsoft Graph: its status and latency, and whether it was throttled or is sent again. */
function createAttemptMetrics(registry: Registry): Pick<GatewayMetrics, 'observeAttempt'> {
  const upstream = new SeriesCounter({
    name: `${PREFIX}graph_requests_total`,
    help: 'HTTP calls to Microsoft Graph by method, path variant, target and status (0 when no answer).',
    labelNames: ['method', 'variant', 'target', 'status'],
    registers: [registry],
  });
  const upstreamSeconds = new SeriesHistogram({
    name: `${PREFIX}graph_request_duration_seconds`,
    help: 'Latency of one HTTP call to Microsoft Graph.',
    labelNames: ['method', 'variant', 'target'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const retries = new SeriesCounter({
    name: `${PREFIX}graph_retries_total`,
    help: 'Calls to Microsoft Graph that are sent again, by method, variant and the status that caused it.',
    labelNames: ['method', 'variant', 'status'],
    registers: [registry],
  });
  const throttles = new SeriesCounter({
    name: `${PREFIX}graph_throttled_total`,
    help: 'Answers 429 from Microsoft Graph.',
    labelNames: ['method', 'variant'],
    registers: [registry],
  });
  return {
    observeAttempt(event) {
      const { variant, target } = event;
      const status = String(event.status ?? 0);
      upstream.inc({ method: event.method, variant, target, status });
      upstreamSeconds.observe({ method: event.method, variant, target }, event.durationMs / 1000);
      if (event.status === 429) throttles.inc({ method: event.method, variant });
      if (event.retryInMs !== null) retries.inc({ method: event.method, variant, status });
    },
  };
}

/** GraphQL requests by the document they ran, and the APQ store's failed reads and writes. */
function createDocumentMetrics(
  registry: Registry,
): Pick<GatewayMetrics, 'observeDocument' | 'observeApqStoreError'> {
  const documents = new SeriesCounter({
    name: `${PREFIX}graphql_documents_total`,
    help: 'GraphQL requests by document (a trusted document id, apq, or none) and outcome (ok or the first error code).',
    labelNames: ['document', 'outcome'],
    registers: [registry],
  });
  const apqStoreErrors = new SeriesCounter({
    name: `${PREFIX}apq_store_errors_total`,
    help: 'Reads (then not found) and writes (then kept in-process only) of automatic persisted queries that Redis failed.',
    labelNames: ['operation'],
    registers: [registry],
  });
  return {
    observeDocument(document, outcome) {
      documents.inc({ document, outcome });
    },
    observeApqStoreError(operation) {
      apqStoreErrors.inc({ operation });
    },
  };
}

/**
 * The tenant cap (src/graph/tenant-cap/): calls waiting for a place, and those whose deadline (or the drain) came first, by the
 * kind of lane (`tenant`: a proven token's tenant; `unproven`: tokens Graph has not accepted yet), never by tenant:
 * tenants are unbounded, and claimed by anyone.
 */
function createTenantCapMetrics(registry: Registry): TenantCapHooks {
  const waiting = new Gauge({
    name: `${PREFIX}graph_tenant_cap_waiting`,
    help: 'Graph calls waiting for a place because their tenant (or all unproven tokens) has its most calls in flight.',
    labelNames: ['lane'],
    registers: [registry],
  });
  const refused = new SeriesCounter({
    name: `${PREFIX}graph_tenant_cap_refused_total`,
    help: 'Graph calls not sent because no place freed up before the deadline, or the gateway began draining (THROTTLED).',
    labelNames: ['lane'],
    registers: [registry],
  });
  // Both lanes from the start, at 0: an alert on a rate or a level needs the series before its first change.
  for (const lane of ['tenant', 'unproven']) {
    waiting.set({ lane }, 0);
    refused.inc({ lane }, 0);
  }
  return {
    waiting: (lane, change) => waiting.inc({ lane }, change),
    refused: (lane) => refused.inc({ lane }),
  };
}
