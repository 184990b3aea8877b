import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config';
import { createGraphService, createHttpTransport, createListSupport, drainEndsAt } from './graph';
import type { GraphService } from './graph';
import { createApollo } from './graphql/apollo';
import { createContextFactory } from './graphql/context';
import { createLogger } from './observability/logging';
import { createMetrics } from './observability/metrics';
import type { GatewayMetrics } from './observability/metrics';
import { traceGraphCall } from './observability/tracing';
import { createPersistedOperations } from './persisted';
import { createQuotaPacing } from './quota';
import { createHttpServer } from './server/app';
import type { ExplorerOptions } from './server/explorer';
import { createLifecycle } from './server/health';
import type { Lifecycle } from './server/health';
import { USER_AGENT } from './version';

export interface GatewayServerOptions {
  /** Where logs go; by default JSON lines on stdout at `config.logLevel`. */
  readonly logger?: Logger;
  /** Readiness state; index.ts drains it on SIGTERM. */
  readonly lifecycle?: Lifecycle;
  /** The browser explorer's settings (the demo prefills its token). */
  readonly explorer?: ExplorerOptions;
}

/** The upstream layer: one HTTP transport, one quota pacer and one Graph service per process. */
async function createGraph(
  config: Config,
  metrics: GatewayMetrics,
  logger: Logger,
): Promise<GraphService> {
  const { quotas, redis, graphTimeoutMs } = config;
  const quota = await createQuotaPacing(quotas, redis, metrics.registry, logger, graphTimeoutMs);
  return createGraphService({
    baseUrl: config.graphBaseUrl,
    timeoutMs: config.graphTimeoutMs,
    userAgent: USER_AGENT,
    retry: {
      maxRetries: config.graphMaxRetries,
      maxDelayMs: config.graphMaxRetryDelayMs,
      baseDelayMs: config.graphRetryBaseDelayMs,
    },
    transport: createHttpTransport({
      maxResponseBytes: config.graphMaxResponseBytes,
      proxyUrl: config.graphProxy.url,
      env: config.graphProxy.env,
    }),
    tracer: traceGraphCall,
    tenantCap: { maxInFlight: config.graphTenantMaxInFlight, hooks: metrics.tenantCap },
    ...(quota ? { quota } : {}),
  });
}

/**
 * The two parts that may use Redis, built at once: each waits up to a second for its connection at start (the quota
 * windows, automatic persisted queries), and one after the other a Redis that is down cost two seconds of start-up.
 * If one part fails, the other is closed: its connection would keep the process alive.
 */
async function createRedisUsers(config: Config, metrics: GatewayMetrics, logger: Logger) {
  const [graph, persisted] = await Promise.allSettled([
    createGraph(config, metrics, logger),
    createPersistedOperations(config, metrics, logger),
  ]);
  if (graph.status === 'fulfilled' && persisted.status === 'fulfilled')
    return { graph: graph.value, persisted: persisted.value };
  if (persisted.status === 'fulfilled') persisted.value.close();
  if (graph.status === 'fulfilled') await graph.value.close();
  throw graph.status === 'rejected' ? graph.reason : (persisted as PromiseRejectedResult).reason;
}

/**
 * The composition root: builds every part of the gateway from a `Config` (logger, metrics, the Graph service with
 * its quota pacing, Apollo and the per-request context factory) and hands them to the HTTP server. Never listens:
 * src/index.ts, the demo and the tests do.
 */
export async function createGatewayServer(
  config: Config,
  options: GatewayServerOptions = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const { graph, persisted } = await createRedisUsers(config, metrics, logger);
  const lifecycle = options.lifecycle ?? createLifecycle();
  // Draining, operations waiting for Graph (quota, a tenant's place, a back-off) are answered now, THROTTLED, rather
  // than holding the shutdown until SHUTDOWN_TIMEOUT_MS and getting no answer at all; the others are cut shortly
  // before it (a long bulk, an attempt Graph has not answered), so that they too answer before the process exits.
  lifecycle.onDrain(() => graph.drain(drainEndsAt(Date.now(), config.shutdownTimeoutMs)));
  const apollo = await createApollo(config, metrics, logger, persisted.apollo);
  const createContext = createContextFactory({
    graph,
    listSupport: createListSupport(),
    metrics,
    deadlineMs: config.graphDeadlineMs,
  });
  return createHttpServer({
    config,
    logger,
    metrics,
    lifecycle,
    graphql: {
      apollo,
      createContext,
      persisted: {
        policy: persisted.policy,
        observe: (document, outcome) => metrics.observeDocument(document, outcome),
      },
    },
    onClose: async () => {
      metrics.close();
      persisted.close();
      await graph.close();
    },
    ...(options.explorer ? { explorer: options.explorer } : {}),
  });
}
