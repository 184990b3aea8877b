import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import type { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import type { Config } from './config';
import type { GatewayContext } from './context';
import { createErrorFormatter } from './request-errors';
import { createQueryLimitsRule } from './limits';
import type { GatewayMetrics } from './metrics';
import { createObservabilityPlugin } from './plugins';
import { resolvers } from './resolvers';

// src/apollo.ts and dist/apollo.js both sit one level below schema/.
const SCHEMA_DIR = path.join(__dirname, '..', 'schema');

/** The SDL of `schema/*.graphql`, the API's source of truth, read once at start. */
export function loadTypeDefs(dir = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(dir, file), 'utf8'));
}

// Federation 2: the schema becomes a subgraph that composes into an Apollo Router supergraph.
// https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/federation
const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';

// The resolver map type of the package's public entry (its own name lives in an internal `dist/` file).
type SubgraphModule = Extract<
  Parameters<typeof buildSubgraphSchema>[0],
  readonly unknown[]
>[number];
type SubgraphResolvers = NonNullable<Extract<SubgraphModule, { typeDefs: unknown }>['resolvers']>;

/** The schema as plain SDL and resolvers, or as a Federation 2 subgraph with `_service { sdl }`. */
async function schemaOptions(config: Config) {
  const typeDefs = loadTypeDefs();
  if (!config.federation) return { typeDefs, resolvers };
  // Loaded only in this mode: the federation libraries weigh several MB of memory.
  const subgraphLibrary = await import('@apollo/subgraph');
  const subgraph = parse([FEDERATION_LINK, ...typeDefs].join('\n'));
  return {
    schema: subgraphLibrary.buildSubgraphSchema([
      {
        typeDefs: subgraph,
        resolvers: resolvers as SubgraphResolvers,
      },
    ]),
  };
}

/** Apollo Server with the gateway's error formatting, limits and plugins, started. */
export async function createApollo(
  app: FastifyInstance,
  config: Config,
  metrics: GatewayMetrics,
): Promise<ApolloServer<GatewayContext>> {
  const apollo = new ApolloServer<GatewayContext>({
    ...(await schemaOptions(config)),
    formatError: createErrorFormatter(config),
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    hideSchemaDetailsFromClientErrors: config.production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // No automatic persisted queries: every answer depends on the caller's token, so nothing is cacheable by hash,
    // and documents are small. A client that tries APQ gets PERSISTED_QUERY_NOT_SUPPORTED and sends the document
    // (Apollo Client's persisted-query link does so by itself), whatever hash it sent.
    persistedQueries: false,
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
  return apollo;
}
