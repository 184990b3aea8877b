/**
 * A compiled executor (graphql-jit) behind Apollo Server's documented `gateway` option, the one extension point
 * that replaces its executor (the top-level `executor` option is gone since Apollo Server 4; `gateway.load()`
 * returns `{ executor }`: https://www.apollographql.com/docs/apollo-server/migration-from-v3). Apollo still
 * parses, validates (the query limits, the introspection rule) and runs every plugin hook but `willResolveField`
 * (none of the gateway's plugins uses it); only execution changes. Measured in BENCHMARKS.md.
 *
 * Compiling costs far more than running a document once (up to 20 ms for the documents it compiles, against well
 * under 1 ms to run), so only documents in steady use are compiled: a document runs on graphql-js until it has run
 * `compileAfter` times (GRAPHQL_COMPILE_AFTER), as Mercurius's `jit` option does. Compiling has a time budget: a
 * client sending fresh documents, each as often as it takes, can make the gateway compile for at most `budgetMs`
 * of every `windowMs`; past that, documents run on graphql-js until the budget refills. Some documents are never
 * compiled (src/graphql/jit-eligibility.ts: too large, or where graphql-jit answers differently). The documents counted and
 * the ones compiled are kept in bounded LRU maps, the latter also bounded by their texts' size. Anything graphql-jit
 * cannot compile, and any request whose variables do not coerce, runs on graphql-js's `execute`, so errors read
 * exactly as before.
 */
import { execute } from 'graphql';
import type { ExecutionResult, GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import type { CompiledQuery } from 'graphql-jit';
import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import { compileRefusal } from './jit-eligibility';
import type { CompileRefusal } from './jit-eligibility';

// The gateway interface's types as Apollo Server's own options name them (its @apollo/server-gateway-interface
// is Apollo's dependency, not ours).
type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;
type GatewayGraphQLRequestContext = Parameters<GatewayExecutor>[0];
type GatewaySchemaLoadOrUpdateCallback = Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0];

export interface JitExecutorOptions {
  /** Runs on graphql-js before a document is compiled (its next run is compiled); 0: never compiled. */
  readonly compileAfter: number;
  /** Compiled documents kept, least recently used dropped first. */
  readonly maxCompiled: number;
  /** …and their texts' characters together: what a compiled document keeps grows with it. */
  readonly maxCompiledChars: number;
  /** Documents counted before they are compiled (a hash each), least recently used dropped first. */
  readonly maxSeen: number;
  /** Compiling may take at most `budgetMs` of every `windowMs` (a leaky bucket). */
  readonly budgetMs: number;
  readonly windowMs: number;
  /** Monotonic milliseconds; injected by tests. */
  readonly now?: () => number;
  /** Each decision on compiling a document in steady use (for metrics). */
  readonly onCompile?: (outcome: CompileOutcome) => void;
}

/** What became of a document due for compiling: compiled, not compilable, refused (why), or deferred. */
export type CompileOutcome = 'compiled' | 'unsupported' | 'over-budget' | CompileRefusal;

/** 2% of one core for compiling at most: a burst of new documents cannot take the event loop. */
export const DEFAULT_JIT_OPTIONS: JitExecutorOptions = {
  compileAfter: 10,
  maxCompiled: 200,
  maxCompiledChars: 200_000,
  maxSeen: 2000,
  budgetMs: 200,
  windowMs: 10_000,
};

const monotonicMs = () => performance.now();

/**
 * How much compiling time is spent and not yet paid back: it drains at `budgetMs` per `windowMs`, and compiling is
 * allowed while it is under `budgetMs`. One compile may overdraw it; the next waits until it has drained.
 */
export function createCompileBudget(budgetMs: number, windowMs: number) {
  let owed = 0;
  let at = Number.NEGATIVE_INFINITY;
  const drain = (now: number) => {
    owed = Math.max(0, owed - ((now - at) * budgetMs) / windowMs);
    at = now;
  };
  return {
    allows(now: number): boolean {
      drain(now);
      return owed < budgetMs;
    },
    spend(ms: number, now: number): void {
      drain(now);
      owed += ms;
    },
  };
}

/**
 * A Map used as an LRU: a read moves the key to the back; an insert drops from the front while there are more
 * than `maxEntries` entries or their weights add up to more than `maxWeight`.
 */
export function createLru<V>(maxEntries: number, maxWeight = Number.POSITIVE_INFINITY) {
  const entries = new Map<string, { value: V; weight: number }>();
  let weight = 0;
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return false;
    weight -= entry.weight;
    return entries.delete(key);
  };
  return {
    get(key: string): V | undefined {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    set(key: string, value: V, entryWeight = 1): void {
      remove(key);
      entries.set(key, { value, weight: entryWeight });
      weight += entryWeight;
      while (entries.size > maxEntries || (weight > maxWeight && entries.size > 1))
        remove(entries.keys().next().value!);
    },
    delete: remove,
    get size() {
      return entries.size;
    },
  };
}

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
  const now = options.now ?? monotonicMs;
  const compiled = createLru<CompiledQuery>(options.maxCompiled, options.maxCompiledChars);
  // Documents never to be compiled (refused, or beyond graphql-jit) are kept apart: cheap to make, they must not
  // push compiled documents out.
  const never = createLru<true>(options.maxSeen);
  const runs = createLru<number>(options.maxSeen);
  const budget = createCompileBudget(options.budgetMs, options.windowMs);
  const settle = (key: string, outcome: CompileOutcome): undefined => {
    runs.delete(key);
    never.set(key, true);
    options.onCompile?.(outcome);
    return undefined;
  };
  const compile = (key: string, context: GatewayGraphQLRequestContext) => {
    const refusal = compileRefusal(context.document, context.source, context.operation);
    if (refusal) return settle(key, refusal);
    const started = now();
    const query = compileQuery(schema, context.document, context.operation.name?.value);
    budget.spend(now() - started, now());
    if (!isCompiledQuery(query)) return settle(key, 'unsupported');
    runs.delete(key);
    compiled.set(key, query, context.source.length);
    options.onCompile?.('compiled');
    return query;
  };
  const compiledFor = (context: GatewayGraphQLRequestContext): CompiledQuery | undefined => {
    // No operation resolved (an operationName the document does not define): graphql-js reports it. Compiled,
    // compileQuery would pick the document's only operation, and run it.
    if (options.compileAfter <= 0 || !context.operation) return undefined;
    const key = `${context.queryHash}\n${context.operationName ?? ''}`;
    const known = compiled.get(key);
    if (known !== undefined || never.get(key)) return known;
    const count = runs.get(key) ?? 0;
    // Not yet in steady use, or over the budget: this run is on graphql-js, and counts.
    if (count < options.compileAfter) return void runs.set(key, count + 1);
    if (!budget.allows(now())) {
      options.onCompile?.('over-budget');
      return void runs.set(key, count + 1);
    }
    return compile(key, context);
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
