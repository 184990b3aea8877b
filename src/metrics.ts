import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { GraphAttemptEvent } from './graph/types';

/** Labels stay low-cardinality: operation names are capped and sanitised; never ids, paths or tokens. */
const MAX_OPERATION_NAMES = 100;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export interface OperationOutcome {
  readonly operationName: string | null;
  readonly operationType: string | null;
  /** `ok`, or the first error's code. */
  readonly outcome: string;
  readonly durationSeconds: number;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  observeOperation(outcome: OperationOutcome): void;
  observeAttempt(event: GraphAttemptEvent): void;
  observeBatch(size: number): void;
}

/** One registry per gateway instance (tests build several in one process), with Node's default metrics. */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations by name, type and outcome (ok or the first error code).',
    labelNames: ['operation', 'type', 'outcome'],
    registers: [registry],
  });
  const operationSeconds = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operation latency, from request to response.',
    labelNames: ['operation', 'type'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const upstream = new Counter({
    name: 'graph_requests_total',
    help: 'HTTP calls to Microsoft Graph by method, path variant, target and status (0 when no answer).',
    labelNames: ['method', 'variant', 'target', 'status'],
    registers: [registry],
  });
  const upstreamSeconds = new Histogram({
    name: 'graph_request_duration_seconds',
    help: 'Latency of one HTTP call to Microsoft Graph.',
    labelNames: ['method', 'variant', 'target'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'graph_retries_total',
    help: 'Calls to Microsoft Graph that are sent again, by method, variant and the status that caused it.',
    labelNames: ['method', 'variant', 'status'],
    registers: [registry],
  });
  const throttles = new Counter({
    name: 'graph_throttled_total',
    help: 'Answers 429 from Microsoft Graph.',
    labelNames: ['method', 'variant'],
    registers: [registry],
  });
  const batchSizes = new Histogram({
    name: 'graph_batch_size',
    help: 'Requests per $batch call.',
    buckets: [1, 2, 5, 10, 15, 20],
    registers: [registry],
  });
  const names = new Set<string>();
  const operationLabel = (name: string | null) => {
    if (!name || !OPERATION_NAME.test(name)) return name ? 'invalid' : 'anonymous';
    if (names.has(name)) return name;
    if (names.size >= MAX_OPERATION_NAMES) return 'other';
    names.add(name);
    return name;
  };
  return {
    registry,
    observeOperation(outcome) {
      const labels = {
        operation: operationLabel(outcome.operationName),
        type: outcome.operationType ?? 'unknown',
      };
      operations.inc({ ...labels, outcome: outcome.outcome });
      operationSeconds.observe(labels, outcome.durationSeconds);
    },
    observeAttempt(event) {
      const { variant, target } = event;
      const status = String(event.status ?? 0);
      upstream.inc({ method: event.method, variant, target, status });
      upstreamSeconds.observe({ method: event.method, variant, target }, event.durationMs / 1000);
      if (event.status === 429) throttles.inc({ method: event.method, variant });
      if (event.retryInMs !== null) retries.inc({ method: event.method, variant, status });
    },
    observeBatch(size) {
      batchSizes.observe(size);
    },
  };
}

/** `GET /metrics`: Prometheus text format. */
export function registerMetricsRoute(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.get('/metrics', async (_request, reply) =>
    reply
      .header('content-type', metrics.registry.contentType)
      .send(await metrics.registry.metrics()),
  );
}
