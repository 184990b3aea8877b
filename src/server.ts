import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config';
import { context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { createGatewayContext, createRequestSummary } from './context';
import { registerCors } from './cors';
import type { GatewayContext, RequestSummary } from './context';
import { registerExplorer } from './explorer';
import { buildSubgraph } from './federation';
import type { ExplorerOptions } from './explorer';
import { createLifecycle, registerHealthRoutes } from './health';
import type { Lifecycle } from './health';
import { createMetrics, registerMetricsRoute } from './metrics';
import { createObservabilityPlugin } from './plugins';
import { callerContext, endSpan, isTracing, startOperationSpan } from './telemetry';
import { formatGatewayError } from './errors';
import { createGraphTransport } from './graph/client';
import { createQueryLimitsRule } from './limits';
import { createLogger } from './logging';
import { pageInfoResolvers } from './page-info';
import { resolvers } from './resolvers';
import { USER_AGENT } from './version';

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

// src/server.ts and dist/server.js both sit one level below schema/.
const SCHEMA_DIR = path.join(__dirname, '..', 'schema');

/** The SDL of `schema/*.graphql`, the API's source of truth, read once at start. */
export function loadTypeDefs(dir = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(dir, file), 'utf8'));
}

function graphqlErrorReply(reply: FastifyReply, status: number, code: string, message: string) {
  return reply
    .code(status)
    .type('application/json')
    .send({ errors: [{ message, extensions: { code } }] });
}

/** The document's text, wherever the request carries it (POST body or GET query string). */
function documentText(request: FastifyRequest): unknown {
  const source = request.method === 'GET' ? request.query : request.body;
  return typeof source === 'object' && source !== null
    ? (source as { query?: unknown }).query
    : undefined;
}

/** The schema as plain SDL and resolvers, or as a Federation 2 subgraph with `_service { sdl }`. */
async function schemaOptions(config: Config) {
  const typeDefs = loadTypeDefs();
  const allResolvers = { ...resolvers, ...pageInfoResolvers };
  if (!config.federation) return { typeDefs, resolvers: allResolvers };
  return { schema: await buildSubgraph(typeDefs, allResolvers) };
}

/** Builds the whole gateway from a `Config`; never listens (index.ts and the tests do). */
export async function createGatewayServer(
  config: Config,
  options: GatewayServerOptions = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const lifecycle = options.lifecycle ?? createLifecycle();
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
  });
  const metrics = createMetrics();
  registerHealthRoutes(app, lifecycle);
  // The explorer needs introspection, so it is served only where introspection is on.
  if (config.introspection) registerExplorer(app, options.explorer);
  registerMetricsRoute(app, metrics);
  const transport = createGraphTransport({
    baseUrl: config.graphBaseUrl,
    timeoutMs: config.graphTimeoutMs,
    maxResponseBytes: config.graphMaxResponseBytes,
    userAgent: USER_AGENT,
    retry: {
      maxRetries: config.graphMaxRetries,
      maxDelayMs: config.graphMaxRetryDelayMs,
      baseDelayMs: config.graphRetryBaseDelayMs,
    },
  });
  const apollo = new ApolloServer<GatewayContext>({
    ...(await schemaOptions(config)),
    formatError: formatGatewayError,
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    hideSchemaDetailsFromClientErrors: config.production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    validationRules: [createQueryLimitsRule(config.queryLimits)],
    logger: app.log,
    plugins: [
      fastifyApolloDrainPlugin(app),
      ApolloServerPluginLandingPageDisabled(),
      // Nothing here is cacheable by HTTP caches (every answer depends on the caller's token); the default cache
      // control plugin would only add a hook to every field.
      ApolloServerPluginCacheControlDisabled(),
      createObservabilityPlugin(metrics),
    ],
  });
  await apollo.start();
  app.addHook('onReady', async () => lifecycle.markReady());
  // While draining, answers close their connection, so keep-alive clients cannot hold the shutdown open.
  app.addHook('onSend', async (_request, reply) => {
    if (lifecycle.draining) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => transport.close());
  await registerCors(app, config);

  app.setErrorHandler((error: { statusCode?: number; code?: string }, request, reply) => {
    if (error.statusCode === 413)
      return graphqlErrorReply(
        reply,
        413,
        'PAYLOAD_TOO_LARGE',
        `The request body is larger than ${MAX_BODY_BYTES} bytes.`,
      );
    if (error.statusCode && error.statusCode < 500)
      return graphqlErrorReply(
        reply,
        error.statusCode,
        'BAD_REQUEST',
        'The request could not be read.',
      );
    request.log.error({ err: error }, 'request failed');
    return graphqlErrorReply(reply, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  });

  // Documents over the limit are refused before Apollo parses them.
  app.addHook('preHandler', async (request, reply) => {
    if (request.routeOptions.url !== '/graphql') return undefined;
    const text = documentText(request);
    if (typeof text !== 'string' || text.length <= config.queryLimits.maxDocumentLength)
      return undefined;
    return graphqlErrorReply(
      reply,
      400,
      'GRAPHQL_VALIDATION_FAILED',
      `The document is longer than ${config.queryLimits.maxDocumentLength} characters.`,
    );
  });

  const requests = new WeakMap<FastifyRequest, { summary: RequestSummary; span?: Span }>();

  // One line per request, written after the answer so it never delays it.
  app.addHook('onResponse', async (request, reply) => {
    const traced = requests.get(request);
    if (traced?.span) endSpan(traced.span, traced.summary.errorCodes[0] ?? null);
    request.log.info(
      {
        method: request.method,
        url: request.url.split('?')[0],
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
        ...(traced ? { ...traced.summary } : {}),
      },
      'request completed',
    );
  });

  const apolloHandler = fastifyApolloHandler(apollo, {
    context: async (request, reply) => {
      // A client that goes away cancels its upstream calls and waits.
      const disconnected = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) disconnected.abort();
      });
      const traced = requests.get(request);
      return createGatewayContext({
        transport,
        deadlineMs: config.graphDeadlineMs,
        maxBulkInputs: config.maxBulkInputs,
        headers: request.headers,
        log: request.log,
        metrics,
        summary: traced?.summary ?? createRequestSummary(request.headers),
        signal: disconnected.signal,
        ...(traced?.span ? { span: traced.span } : {}),
      });
    },
  });

  app.route<{ Reply: string }>({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    handler(request, reply) {
      const summary = createRequestSummary(request.headers);
      if (!isTracing()) {
        requests.set(request, { summary });
        return apolloHandler.call(this, request, reply);
      }
      // The request's span continues the caller's W3C trace; upstream calls become its children.
      const parent = callerContext(request.headers);
      const span = startOperationSpan(parent);
      requests.set(request, { summary, span });
      return context.with(trace.setSpan(parent, span), () =>
        apolloHandler.call(this, request, reply),
      );
    },
  });
  return app;
}
