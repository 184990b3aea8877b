import { context as otelContext, trace } from '@opentelemetry/api';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { createApollo } from './apollo';
import { createApolloHandler } from './apollo-fastify';
import type { Config } from './config';
import { createContextFactory, createRequestState } from './context';
import { registerCors } from './cors';
import type { RequestState } from './context';
import { registerExplorer } from './explorer';
import type { ExplorerOptions } from './explorer';
import { createGraphService } from './graph/client';
import type { GraphService } from './graph/types';
import { createHttpTransport } from './graph/http';
import { createListSupport } from './graph/lists';
import { createLifecycle, registerHealthRoutes } from './health';
import type { Lifecycle } from './health';
import { MAX_DOCUMENT_NESTING, documentNestingExceeds } from './document-nesting';
import { createLogger, logRequestCompleted } from './logging';
import { createQuotaPacing } from './quota';
import { createMetrics } from './metrics';
import { registerMetricsEndpoint } from './metrics-endpoint';
import { fastifyTimeouts } from './http-timeouts';
import { graphqlErrorReply, registerExplorerOffHint, registerHttpErrors } from './http-errors';
import type { GatewayMetrics } from './metrics';
import { callerContext, endSpan, isTracing, startOperationSpan, traceGraphCall } from './telemetry';
import { USER_AGENT } from './version';

export { loadTypeDefs } from './apollo';

declare module 'fastify' {
  interface FastifyRequest {
    /** Per-request state of a GraphQL request, built once in the route handler. */
    gateway: RequestState | null;
  }
}

export interface GatewayServerOptions {
  /** Where logs go; by default JSON lines on stdout at `config.logLevel`. */
  readonly logger?: Logger;
  /** Readiness state; index.ts drains it on SIGTERM. */
  readonly lifecycle?: Lifecycle;
  /** The browser explorer's settings (the demo prefills its token). */
  readonly explorer?: ExplorerOptions;
}

/** Request bodies over this are refused with HTTP 413 before they are parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The upstream layer: one HTTP transport, one quota pacer and one Graph service per process. */
async function createGraph(
  config: Config,
  metrics: GatewayMetrics,
  log: FastifyBaseLogger,
): Promise<GraphService> {
  const quota = await createQuotaPacing(config.quotas, metrics.registry, log);
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

/** While draining, answers close their connection, so keep-alive clients cannot hold the shutdown open. */
function registerLifecycle(app: FastifyInstance, lifecycle: Lifecycle, graph: GraphService) {
  app.addHook('onReady', () => Promise.resolve(lifecycle.markReady()));
  // Callback-style hooks here and below: an async hook costs a promise and a microtask turn on every request.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (lifecycle.draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onClose', async () => graph.close());
}

/** The document's text, wherever the request carries it (POST body or GET query string). */
function documentText(request: FastifyRequest): unknown {
  const source = request.method === 'GET' ? request.query : request.body;
  return typeof source === 'object' && source !== null
    ? (source as { query?: unknown }).query
    : undefined;
}

/** Documents over the length limit, or nested deeper than the parser can take, are refused before parsing. */
function registerDocumentLengthLimit(app: FastifyInstance, maxLength: number) {
  app.addHook('preHandler', (request, reply, done) => {
    if (request.routeOptions.url !== '/graphql') return done();
    const text = documentText(request);
    if (typeof text !== 'string') return done();
    const problem =
      text.length > maxLength
        ? `The document is longer than ${maxLength} characters.`
        : documentNestingExceeds(text)
          ? `The document is nested more than ${MAX_DOCUMENT_NESTING} levels deep.`
          : null;
    if (!problem) return done();
    // Answered here: Fastify goes no further when a callback hook sends without calling `done`.
    graphqlErrorReply(reply, 400, 'GRAPHQL_VALIDATION_FAILED', problem);
  });
}

/** One line per request, written after the answer so it never delays it. */
function registerRequestLog(app: FastifyInstance) {
  app.addHook('onResponse', (request, reply, done) => {
    const state = request.gateway;
    if (state?.span) endSpan(state.span, state.summary.errorCodes[0] ?? null);
    logRequestCompleted(request.log as Logger, {
      method: request.method,
      url: request.url.split('?')[0]!,
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
      summary: state ? state.summary : null,
    });
    done();
  });
}

/** `/graphql`: the request's state once, its span when tracing, then Apollo. */
async function registerGraphqlRoute(
  app: FastifyInstance,
  config: Config,
  metrics: GatewayMetrics,
  graph: GraphService,
) {
  const apollo = await createApollo(app, config, metrics);
  const createContext = createContextFactory({
    graph,
    listSupport: createListSupport(),
    metrics,
    deadlineMs: config.graphDeadlineMs,
    maxBulkInputs: config.maxBulkInputs,
  });
  const handler = createApolloHandler(apollo, {
    context: async (request, reply) => {
      const state = request.gateway ?? createRequestState(request.headers);
      const context = createContext({ state, log: request.log });
      // The operation ends with its response, or as soon as its client goes away: its upstream calls and waits
      // are cancelled and its deadline timer cleared.
      reply.raw.once('close', () => context.graph.end());
      return context;
    },
  });
  app.decorateRequest('gateway', null);
  app.route<{ Reply: string }>({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    handler(request, reply) {
      if (!isTracing()) {
        request.gateway = createRequestState(request.headers);
        return handler.call(this, request, reply);
      }
      // The request's span continues the caller's W3C trace; upstream calls become its children.
      const parent = callerContext(request.headers);
      const span = startOperationSpan(parent);
      request.gateway = createRequestState(request.headers, span);
      return otelContext.with(trace.setSpan(parent, span), () =>
        handler.call(this, request, reply),
      );
    },
  });
}

/** Builds the whole gateway from a `Config`; never listens (index.ts and the tests do). */
export async function createGatewayServer(
  config: Config,
  options: GatewayServerOptions = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const app: FastifyInstance = Fastify({
    // pino's Logger and Fastify's base logger type differ only in generics.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- without it the app's type changes
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    ...fastifyTimeouts(config),
  });
  const metrics = createMetrics();
  const graph = await createGraph(config, metrics, app.log);
  const lifecycle = options.lifecycle ?? createLifecycle();
  registerHealthRoutes(app, lifecycle);
  registerLifecycle(app, lifecycle, graph);
  // The explorer needs introspection, so it is served only where introspection is on.
  if (config.introspection) registerExplorer(app, options.explorer);
  else registerExplorerOffHint(app);
  registerMetricsEndpoint(app, metrics, { port: config.metricsPort, host: config.host });
  await registerCors(app, config);
  registerHttpErrors(app, { maxBodyBytes: MAX_BODY_BYTES });
  registerDocumentLengthLimit(app, config.queryLimits.maxDocumentLength);
  registerRequestLog(app);
  await registerGraphqlRoute(app, config, metrics, graph);
  return app;
}
