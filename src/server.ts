import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse } from 'graphql';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import cors from '@fastify/cors';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config';
import { context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { createGatewayContext, createRequestSummary } from './context';
import type { GatewayContext, RequestSummary } from './context';
import { registerExplorer } from './explorer';
import type { ExplorerOptions } from './explorer';
import { createLifecycle, registerHealthRoutes } from './health';
import type { Lifecycle } from './health';
import { createMetrics } from './metrics';
import { registerMetricsEndpoint } from './metrics-endpoint';
import { fastifyTimeouts } from './http-timeouts';
import { createObservabilityPlugin } from './plugins';
import { callerContext, endSpan, isTracing, startOperationSpan } from './telemetry';
import { createErrorFormatter } from './request-errors';
import { graphqlErrorReply, registerExplorerOffHint, registerHttpErrors } from './http-errors';
import { createGraphTransport } from './graph/client';
import { createQueryLimitsRule } from './limits';
import { createLogger } from './logging';
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

/** The document's text, wherever the request carries it (POST body or GET query string). */
function documentText(request: FastifyRequest): unknown {
  const source = request.method === 'GET' ? request.query : request.body;
  return typeof source === 'object' && source !== null
    ? (source as { query?: unknown }).query
    : undefined;
}

// Federation 2: the schema becomes a subgraph that composes into an Apollo Router supergraph.
// https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/federation
const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';

/** The schema as plain SDL and resolvers, or as a Federation 2 subgraph with `_service { sdl }`. */
async function schemaOptions(config: Config) {
  const typeDefs = loadTypeDefs();
  if (!config.federation) return { typeDefs, resolvers };
  // Loaded only in this mode: the federation libraries weigh several MB of memory.
  const { buildSubgraphSchema } = await import('@apollo/subgraph');
  const subgraph = parse([FEDERATION_LINK, ...typeDefs].join('\n'));
  return {
    schema: buildSubgraphSchema([
      { typeDefs: subgraph, resolvers: resolvers as GraphQLResolverMap<unknown> },
    ]),
  };
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
    ...fastifyTimeouts(config),
  });
  const metrics = createMetrics();
  registerHealthRoutes(app, lifecycle);
  // The explorer needs introspection, so it is served only where introspection is on.
  if (config.introspection) registerExplorer(app, options.explorer);
  else registerExplorerOffHint(app);
  registerMetricsEndpoint(app, metrics, { port: config.metricsPort, host: config.host });
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
    formatError: createErrorFormatter(config),
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    hideSchemaDetailsFromClientErrors: config.production,
    // No automatic persisted queries: every answer depends on the caller's token, so nothing is cacheable by hash,
    // and documents are small. A client that tries APQ gets PERSISTED_QUERY_NOT_SUPPORTED and sends the document
    // (Apollo Client's persisted-query link does so by itself), whatever hash it sent.
    persistedQueries: false,
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
  if (config.corsOrigins.length > 0)
    await app.register(cors, {
      origin: [...config.corsOrigins],
      methods: ['GET', 'POST'],
      maxAge: 600,
    });

  registerHttpErrors(app, { maxBodyBytes: MAX_BODY_BYTES });

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
