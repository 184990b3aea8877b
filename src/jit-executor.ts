/**
 * A compiled executor (graphql-jit) behind Apollo Server's documented `gateway` option, the one extension point
 * that replaces its executor (the top-level `executor` option is gone since Apollo Server 4; `gateway.load()`
 * returns `{ executor }`: https://www.apollographql.com/docs/apollo-server/migration-from-v3). Apollo still
 * parses, validates (the query limits, the introspection rule) and runs every plugin hook but `willResolveField`
 * (none of the gateway's plugins uses it); only execution changes. Measured in BENCHMARKS.md.
 *
 * A document is compiled on its second use: a one-off document runs on graphql-js (compiling costs more than
 * executing once), so a client sending fresh documents cannot make the gateway compile each of them. Both the
 * documents seen and the ones compiled are kept in bounded LRU maps. Anything graphql-jit cannot compile, and
 * any request whose variables do not coerce, runs on graphql-js's `execute`, so errors read exactly as before.
 */
import { execute } from 'graphql';
import type { ExecutionResult, GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import type { CompiledQuery } from 'graphql-jit';
import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';

// The gateway interface's types as Apollo Server's own options name them (its @apollo/server-gateway-interface
// is Apollo's dependency, not ours).
type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;
type GatewayGraphQLRequestContext = Parameters<GatewayExecutor>[0];
type GatewaySchemaLoadOrUpdateCallback = Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0];

export interface JitExecutorOptions {
  /** Compiled documents kept, least recently used dropped first. */
  readonly maxCompiled: number;
  /** Documents remembered as seen once (a hash each), least recently used dropped first. */
  readonly maxSeen: number;
}

export const DEFAULT_JIT_OPTIONS: JitExecutorOptions = { maxCompiled: 200, maxSeen: 2000 };

/** A Map used as an LRU: a read moves the key to the back, an insert past `max` drops the front. */
export function createLru<V>(max: number) {
  const entries = new Map<string, V>();
  return {
    get(key: string): V | undefined {
      const value = entries.get(key);
      if (value === undefined) return undefined;
      entries.delete(key);
      entries.set(key, value);
      return value;
    },
    set(key: string, value: V): void {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    delete: (key: string) => entries.delete(key),
    get size() {
      return entries.size;
    },
  };
}

/** Compiled, or `false` when graphql-jit cannot compile it. */
type Compiled = CompiledQuery | false;

function runOnGraphqlJs(
  schema: GraphQLSchema,
  context: GatewayGraphQLRequestContext,
): Promise<ExecutionResult> | ExecutionResult {
  return execute({
    schema,
    document: context.document,
    contextValue: context.context,
    variableValues: context.request.variables ?? null,
    operationName: context.request.operationName ?? null,
  });
}

export interface JitExecutor {
  readonly execute: GatewayExecutor;
  /** How many documents are compiled now (for tests). */
  readonly compiledCount: () => number;
}

export function createJitExecutor(
  schema: GraphQLSchema,
  options: JitExecutorOptions = DEFAULT_JIT_OPTIONS,
): JitExecutor {
  const compiled = createLru<Compiled>(options.maxCompiled);
  const seen = createLru<true>(options.maxSeen);
  const compiledFor = (context: GatewayGraphQLRequestContext): Compiled | undefined => {
    const key = `${context.queryHash}\n${context.operationName ?? ''}`;
    const known = compiled.get(key);
    if (known !== undefined) return known;
    if (!seen.get(key)) return void seen.set(key, true);
    seen.delete(key);
    const query = compileQuery(schema, context.document, context.operationName ?? undefined);
    const entry = isCompiledQuery(query) ? query : false;
    compiled.set(key, entry);
    return entry;
  };
  return {
    compiledCount: () => compiled.size,
    execute: async (context) => {
      const query = compiledFor(context);
      if (!query) return runOnGraphqlJs(schema, context);
      const result = await query.query(undefined, context.context, context.request.variables);
      // No `data` at all: the variables did not coerce and nothing ran. graphql-js words those errors as Apollo
      // expects them (BAD_USER_INPUT, HTTP 400), and running it resolves nothing twice.
      if (result.data === undefined && result.errors) return runOnGraphqlJs(schema, context);
      return result;
    },
  };
}

/** The `gateway` Apollo Server takes: a fixed schema, executed through `createJitExecutor`. */
export function createJitGateway(
  schema: GraphQLSchema,
  options: JitExecutorOptions = DEFAULT_JIT_OPTIONS,
): GatewayInterface {
  const listeners = new Set<GatewaySchemaLoadOrUpdateCallback>();
  return {
    // The schema never changes: it is announced once, when Apollo loads the gateway.
    load() {
      for (const listener of listeners) listener({ apiSchema: schema, coreSupergraphSdl: '' });
      return Promise.resolve({ executor: createJitExecutor(schema, options).execute });
    },
    onSchemaLoadOrUpdate(callback) {
      listeners.add(callback);
      return () => listeners.delete(callback);
    },
    stop: () => Promise.resolve(),
  };
}
