import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import type { ApolloServerOptions } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { GatewayContext } from './context';
import { buildExecutableSchema } from './executable-schema';
import { buildSubgraph } from './federation';
import { DEFAULT_JIT_OPTIONS, createJitGateway } from './jit-executor';
import { createErrorFormatter } from './errors/format-error';
import { createQueryLimitsRule } from './limits';
import type { GatewayMetrics } from '../observability/metrics';
import { pageInfoResolvers } from './page-info';
import { createObservabilityPlugin } from '../observability/operation-plugin';
import { resolvers } from './resolvers';
import { PACKAGE_ROOT } from '../version';

const SCHEMA_DIR = path.join(PACKAGE_ROOT, 'schema');

/** The SDL of `schema/*.graphql`, the API's source of truth, read once at start. */
export function loadTypeDefs(dir = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(dir, file), 'utf8'));
}

/**
 * The schema from SDL and resolvers, or as a Federation 2 subgraph with `_service { sdl }`; executed through the
 * compiled executor (src/graphql/jit-executor.ts) unless GRAPHQL_COMPILE_AFTER is 0.
 */
async function schemaOptions(config: Config, metrics: GatewayMetrics) {
  const typeDefs = loadTypeDefs();
  const allResolvers = { ...resolvers, ...pageInfoResolvers };
  const schema = config.federation
    ? await buildSubgraph(typeDefs, allResolvers)
    : buildExecutableSchema(typeDefs, allResolvers);
  if (config.compileAfter === 0) return { schema };
  return {
    gateway: createJitGateway(schema, {
      ...DEFAULT_JIT_OPTIONS,
      compileAfter: config.compileAfter,
      onCompile: (outcome) => metrics.observeCompile(outcome),
    }),
  };
}

/** Apollo's automatic persisted queries: the cache the composition root built (src/graphql/persisted/), or off. */
export type PersistedQueriesOption = ApolloServerOptions<GatewayContext>['persistedQueries'];

/** Apollo Server with the gateway's error formatting, limits and plugins, started. */
export async function createApollo(
  config: Config,
  metrics: GatewayMetrics,
  logger: Logger,
  persistedQueries: PersistedQueriesOption = false,
): Promise<ApolloServer<GatewayContext>> {
  const apollo = new ApolloServer<GatewayContext>({
    ...(await schemaOptions(config, metrics)),
    formatError: createErrorFormatter(config),
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    hideSchemaDetailsFromClientErrors: config.production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // Automatic persisted queries: a hash alone → PERSISTED_QUERY_NOT_FOUND until the document is sent with it,
    // checked and registered after validation; GET for mutations → 405. The route checked the hash and resolved
    // trusted documents before this (src/server/persisted-documents.ts). Off: PERSISTED_QUERY_NOT_SUPPORTED.
    persistedQueries,
    validationRules: [createQueryLimitsRule(config.queryLimits)],
    logger,
    // index.ts owns SIGTERM/SIGINT (readiness first, then the drain). Apollo's own handlers, on by default outside
    // NODE_ENV=test, would stop it in parallel and re-send the signal, racing the drain; one pair per instance.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // Nothing here is cacheable by HTTP caches (every answer depends on the caller's token); the default cache
      // control plugin would only add a hook to every field.
      ApolloServerPluginCacheControlDisabled(),
      createObservabilityPlugin(metrics),
    ],
  });
  await apollo.start();
  // The /graphql route's plugin stops Apollo when Fastify closes (after the requests in flight finished); Apollo's
  // drain plugin did the reverse, which left Apollo running after `app.close()`.
  return apollo;
}
