import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import type { ApolloServerOptions } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import type { GraphQLScalarType } from 'graphql';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { GatewayContext } from './context';
import { createBulkInputsPlugin } from './bulk-inputs';
import { buildSubgraph, createRouterErrorsPlugin } from './federation';
import { createErrorFormatter } from './errors/format-error';
import { MAX_VALIDATION_ERRORS, createQueryLimitsRule } from './limits';
import { NoSubscriptionsRule, createRequiredVariablesPlugin } from './request-checks';
import type { GatewayMetrics } from '../observability/metrics';
import { pageInfoResolvers } from './page-info';
import { createObservabilityPlugin } from '../observability/operation-plugin';
import { resolvers } from './resolvers';
import { DateTimeOffsetScalar } from './scalars';
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
 * A custom scalar as its coercion functions only. Apollo Server builds the schema with graphql-tools'
 * `makeExecutableSchema`, which copies every own property of a scalar's resolver over the SDL's scalar: a
 * `GraphQLScalarType`'s `description` (undefined here) would replace the one schema/ gives it, and introspection
 * would lose it. Its name, description and `@specifiedBy` stay the SDL's (schema/ is the API's source of truth).
 */
function coercionOf(scalar: GraphQLScalarType) {
  return {
    serialize: scalar.serialize,
    parseValue: scalar.parseValue,
    parseLiteral: scalar.parseLiteral,
  };
}

/** What the schema is built from: the SDL of schema/ and every resolver, the custom scalar as its coercion. */
export function schemaDefinition() {
  return {
    typeDefs: loadTypeDefs(),
    resolvers: {
      ...resolvers,
      ...pageInfoResolvers,
      DateTimeOffset: coercionOf(DateTimeOffsetScalar),
    },
  };
}

/**
 * Apollo Server builds and runs the schema itself (`typeDefs` + `resolvers`, executed by graphql-js); with
 * FEDERATION=true it is a Federation 2 subgraph with `_service { sdl }`, which `buildSubgraphSchema` builds.
 */
async function schemaOptions(config: Config) {
  const { typeDefs, resolvers: all } = schemaDefinition();
  if (config.federation) return { schema: await buildSubgraph(typeDefs, all) };
  return { typeDefs, resolvers: all };
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
    ...(await schemaOptions(config)),
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
    // Hostile documents are refused before they cost: graphql-js stops parsing past the token limit, the limits
    // rule stops validation as soon as a document is over a limit, and validation gives up after a few errors.
    // https://www.apollographql.com/docs/apollo-server/api/apollo-server#parseoptions
    parseOptions: { maxLexicalTokens: config.queryLimits.maxTokens },
    validationRules: [NoSubscriptionsRule, createQueryLimitsRule(config.queryLimits)],
    validationOptions: { maxErrors: MAX_VALIDATION_ERRORS },
    logger,
    // index.ts owns SIGTERM/SIGINT (readiness first, then the drain). Apollo's own handlers, on by default outside
    // NODE_ENV=test, would stop it in parallel and re-send the signal, racing the drain; one pair per instance.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // Nothing here is cacheable by HTTP caches (every answer depends on the caller's token); the default cache
      // control plugin would only add a hook to every field.
      ApolloServerPluginCacheControlDisabled(),
      // Apollo turns inline traces (`ftv1`) on for a subgraph schema: they carry every error's message unmasked to
      // whoever sends `apollo-federation-include-trace`, and hook every field. Off, as the gateway served subgraph
      // answers until now. https://www.apollographql.com/docs/apollo-server/api/plugin/inline-trace
      ApolloServerPluginInlineTraceDisabled(),
      createRequiredVariablesPlugin(),
      // MAX_BULK_INPUTS counts the whole operation's bulk items (every alias, `_entities` too) before it runs.
      createBulkInputsPlugin(config.maxBulkInputs),
      createObservabilityPlugin(metrics),
      ...(config.federation ? [createRouterErrorsPlugin()] : []),
    ],
  });
  await apollo.start();
  // The /graphql route's plugin stops Apollo when Fastify closes (after the requests in flight finished); Apollo's
  // drain plugin did the reverse, which left Apollo running after `app.close()`.
  return apollo;
}
