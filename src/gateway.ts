import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config';
import { createGraphService, createHttpTransport, createListSupport } from './graph';
import type { GraphService } from './graph';
import { createApollo } from './graphql/apollo';
import { createContextFactory } from './graphql/context';
import { createLogger } from './observability/logging';
import { createMetrics } from './observability/metrics';
import type { GatewayMetrics } from './observability/metrics';
import { traceGraphCall } from './observability/tracing';
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
  const quota = await createQuotaPacing(config.quotas, metrics.registry, logger);
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
    ...(quota ? { quota } : {}),
  });
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
  const graph = await createGraph(config, metrics, logger);
  const apollo = await createApollo(config, metrics, logger);
  const createContext = createContextFactory({
    graph,
    listSupport: createListSupport(),
    metrics,
    deadlineMs: config.graphDeadlineMs,
    maxBulkInputs: config.maxBulkInputs,
  });
  return createHttpServer({
    config,
    logger,
    metrics,
    lifecycle: options.lifecycle ?? createLifecycle(),
    graphql: { apollo, createContext },
    onClose: () => graph.close(),
    ...(options.explorer ? { explorer: options.explorer } : {}),
  });
}
