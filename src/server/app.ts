import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { registerCors } from './cors';
import { registerExplorer } from './explorer';
import type { ExplorerOptions } from './explorer';
import { registerGraphqlRoute } from './graphql-route';
import type { GraphqlRouteOptions } from './graphql-route';
import { registerHealthRoutes } from './health';
import type { Lifecycle } from './health';
import { registerExplorerOffHint, registerHttpErrors, registerNotFound } from './http-errors';
import { jsonBounds } from './json-bounds';
import { registerMetricsEndpoint } from './metrics-endpoint';
import { fastifyTimeouts } from './timeouts';
import { logRequestCompleted } from '../observability/logging';
import type { GatewayMetrics } from '../observability/metrics';

/** Request bodies over this are refused with HTTP 413 before they are parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the HTTP server is built from: the composition root (src/gateway.ts) makes each part. */
export interface HttpServerOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly lifecycle: Lifecycle;
  readonly graphql: Omit<GraphqlRouteOptions, 'maxDocumentLength' | 'jsonBounds'>;
  /** Closed with the server, after the requests in flight (the Graph service's pools and quota store). */
  readonly onClose: () => Promise<void>;
  readonly explorer?: ExplorerOptions;
}

/** While draining, answers close their connection, so keep-alive clients cannot hold the shutdown open. */
function registerLifecycle(
  app: FastifyInstance,
  lifecycle: Lifecycle,
  onClose: () => Promise<void>,
) {
  app.addHook('onReady', () => Promise.resolve(lifecycle.markReady()));
  // Callback-style hooks here and below: an async hook costs a promise and a microtask turn on every request.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (lifecycle.draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onClose', onClose);
}

/** One line per request, written after the answer so it never delays it. */
function registerRequestLog(app: FastifyInstance) {
  app.addHook('onResponse', (request, reply, done) => {
    const state = request.gateway;
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

/** The Fastify app: health, metrics, CORS, the explorer, the HTTP-level refusals and `/graphql`. Never listens. */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const { config, lifecycle } = options;
  // A JSON body may hold more values the more bulk items one operation may carry.
  const bounds = jsonBounds(config.maxBulkInputs);
  const app: FastifyInstance = Fastify({
    // pino's Logger and Fastify's base logger type differ only in generics.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- without it the app's type changes
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    ...fastifyTimeouts(config),
  });
  registerHealthRoutes(app, lifecycle);
  registerLifecycle(app, lifecycle, options.onClose);
  // The explorer needs introspection, so it is served only where introspection is on.
  if (config.introspection) registerExplorer(app, options.explorer);
  else registerExplorerOffHint(app);
  registerMetricsEndpoint(app, options.metrics, { port: config.metricsPort, host: config.host });
  await registerCors(app, config);
  registerHttpErrors(app, { maxBodyBytes: MAX_BODY_BYTES, jsonBounds: bounds });
  registerNotFound(app);
  registerRequestLog(app);
  await registerGraphqlRoute(app, {
    ...options.graphql,
    maxDocumentLength: config.queryLimits.maxDocumentLength,
    jsonBounds: bounds,
  });
  return app;
}
