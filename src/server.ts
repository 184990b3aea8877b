import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config';
import { createGatewayContext } from './context';
import type { GatewayContext } from './context';
import { formatGatewayError } from './errors';
import { createGraphTransport } from './graph/client';
import { createLogger } from './logging';
import { resolvers } from './resolvers';
import { USER_AGENT } from './version';

export interface GatewayServerOptions {
  /** Where logs go; by default JSON lines on stdout at `config.logLevel`. */
  readonly logger?: Logger;
}

// src/server.ts and dist/server.js both sit one level below schema/.
const SCHEMA_DIR = path.join(__dirname, '..', 'schema');

/** The SDL of `schema/*.graphql`, the API's source of truth, read once at start. */
export function loadTypeDefs(dir = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(dir, file), 'utf8'));
}

/** Builds the whole gateway from a `Config`; never listens (index.ts and the tests do). */
export async function createGatewayServer(
  config: Config,
  options: GatewayServerOptions = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  const transport = createGraphTransport({
    baseUrl: config.graphBaseUrl,
    timeoutMs: config.graphTimeoutMs,
    maxResponseBytes: config.graphMaxResponseBytes,
    userAgent: USER_AGENT,
  });
  const apollo = new ApolloServer<GatewayContext>({
    typeDefs: loadTypeDefs(),
    resolvers,
    formatError: formatGatewayError,
    includeStacktraceInErrorResponses: false,
    logger: app.log,
    plugins: [fastifyApolloDrainPlugin(app), ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();
  app.addHook('onClose', async () => transport.close());
  // One line per request, written after the answer so it never delays it.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: request.url.split('?')[0],
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
  });
  app.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    handler: fastifyApolloHandler(apollo, {
      context: async (request) =>
        createGatewayContext({ transport, headers: request.headers, log: request.log }),
    }),
  });
  return app;
}
