import {
  GraphQLInt,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  getOperationAST,
  parse,
} from 'graphql';
import {
  DEFAULT_JIT_OPTIONS,
  createCompileBudget,
  createJitExecutor,
  createLru,
} from '../../src/graphql/jit-executor';
import type { CompileOutcome, JitExecutorOptions } from '../../src/graphql/jit-executor';

const Box = new GraphQLObjectType({
  name: 'Box',
  fields: {
    hello: { type: GraphQLString, resolve: () => 'hi' },
    broken: {
      type: GraphQLString,
      resolve: () => {
        throw Object.assign(new Error('nope'), { extensions: { code: 'NOT_FOUND' } });
      },
    },
  },
});

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      box: { type: Box, resolve: () => ({}) },
      hello: {
        type: GraphQLString,
        args: { n: { type: GraphQLInt } },
        resolve: (_root, { n }) => `hi ${n}`,
      },
      broken: {
        type: GraphQLString,
        resolve: () => {
          throw Object.assign(new Error('nope'), { extensions: { code: 'NOT_FOUND' } });
        },
      },
    },
  }),
});

type Executor = ReturnType<typeof createJitExecutor>;
type RequestContext = Parameters<Executor['execute']>[0];

/** What the executor reads of Apollo's request context. */
function request(query: string, variables: Record<string, unknown> = {}): RequestContext {
  const document = parse(query);
  // As Apollo sets them: the operation it resolved, and its name.
  const operation = getOperationAST(document, null);
  return {
    queryHash: query,
    source: query,
    operation,
    operationName: operation?.name?.value ?? null,
    document,
    context: {},
    request: { query, variables },
  } as unknown as RequestContext;
}

/** Compiled on the second run, a budget no test reaches unless it says so. */
const options = (overrides: Partial<JitExecutorOptions> = {}): JitExecutorOptions => ({
  ...DEFAULT_JIT_OPTIONS,
  compileAfter: 1,
  maxCompiled: 10,
  maxSeen: 10,
  ...overrides,
});

describe('createJitExecutor', () => {
  it('compiles a document on its second use, and then runs it compiled', async () => {
    const jit = createJitExecutor(schema, options());
    const query = 'query Q($n: Int) { hello(n: $n) }';
    expect(await jit.execute(request(query, { n: 1 }))).toEqual({ data: { hello: 'hi 1' } });
    expect(jit.compiledCount()).toBe(0);
    expect(await jit.execute(request(query, { n: 2 }))).toEqual({ data: { hello: 'hi 2' } });
    expect(jit.compiledCount()).toBe(1);
    expect(await jit.execute(request(query, { n: 3 }))).toEqual({ data: { hello: 'hi 3' } });
    expect(jit.compiledCount()).toBe(1);
  });

  it('errors keep their message, path and extensions, compiled or not', async () => {
    const jit = createJitExecutor(schema, options());
    const results = [];
    for (let run = 0; run < 3; run += 1)
      results.push(await jit.execute(request('{ box { hello broken } }')));
    // The second and third runs were compiled.
    expect(jit.compiledCount()).toBe(1);
    const shapes = results.map((result) => JSON.parse(JSON.stringify(result)) as unknown);
    expect(shapes[0]).toEqual({
      data: { box: { hello: 'hi', broken: null } },
      errors: [
        {
          message: 'nope',
          path: ['box', 'broken'],
          locations: [{ line: 1, column: 15 }],
          extensions: { code: 'NOT_FOUND' },
        },
      ],
    });
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
  });

  it('variables that do not coerce get graphql-js errors on the compiled path too', async () => {
    const jit = createJitExecutor(schema, options());
    const query = 'query Q($n: Int) { hello(n: $n) }';
    const first = await jit.execute(request(query, { n: 'x' }));
    const compiled = await jit.execute(request(query, { n: 'y' }));
    expect(jit.compiledCount()).toBe(1);
    expect(first.data).toBeUndefined();
    expect(compiled.errors?.[0]?.message).toBe(
      'Variable "$n" got invalid value "y"; Int cannot represent non-integer value: "y"',
    );
    expect(compiled.errors?.[0]?.nodes?.[0]?.kind).toBe('VariableDefinition');
  });

  it.each([
    // [documents, each used how often, compiled kept]
    [50, 1, 0],
    [50, 2, 5],
    [3, 2, 3],
  ])(
    '%i distinct documents used %i times each: %i compiled at most (bounded memory)',
    async (count, uses, kept) => {
      const jit = createJitExecutor(schema, options({ maxCompiled: 5, maxSeen: 8 }));
      for (let index = 0; index < count; index += 1)
        for (let use = 0; use < uses; use += 1) await jit.execute(request(`{ a${index}: hello }`));
      expect(jit.compiledCount()).toBe(kept);
    },
  );
  it.each([
    // [compileAfter, runs, compiled after them]
    [0, 30, 0],
    [1, 1, 0],
    [1, 2, 1],
    [10, 10, 0],
    [10, 11, 1],
  ])('compileAfter %i: after %i runs of one document, %i compiled', async (after, count, kept) => {
    const jit = createJitExecutor(schema, options({ compileAfter: after }));
    for (let run = 0; run < count; run += 1)
      expect(await jit.execute(request('{ hello }'))).toEqual({ data: { hello: 'hi undefined' } });
    expect(jit.compiledCount()).toBe(kept);
  });

  it('stops compiling when compiling took its budget, and answers the same on graphql-js', async () => {
    // Each reading of the clock is 150 ms after the previous one: every compile "takes" 150 ms.
    let clock = 0;
    const jit = createJitExecutor(
      schema,
      options({ budgetMs: 200, windowMs: 10_000, now: () => (clock += 150) }),
    );
    for (let index = 0; index < 4; index += 1) {
      const query = `{ a${index}: hello }`;
      for (let use = 0; use < 3; use += 1)
        expect(await jit.execute(request(query))).toEqual({
          data: { [`a${index}`]: 'hi undefined' },
        });
    }
    // Two compiles (150 ms, then 300 ms owed, over 200): the other documents stay on graphql-js.
    expect(jit.compiledCount()).toBe(2);
  });
});

describe('createCompileBudget', () => {
  it.each([
    // [spent ms at time 0, asked at ms, allowed]
    [0, 0, true],
    [199, 0, true],
    [200, 0, false],
    [300, 0, false],
    // 200 ms per 10 s drains 0.02 ms per ms: 300 owed is 199.8 at 5,010 ms.
    [300, 4_990, false],
    [300, 5_010, true],
    [10_000, 490_000, false],
    [10_000, 490_100, true],
  ])('%i ms spent at 0: at %i ms compiling is allowed: %s', (spent, at, allowed) => {
    const budget = createCompileBudget(200, 10_000);
    budget.spend(spent, 0);
    expect(budget.allows(at)).toBe(allowed);
  });
});

describe('what becomes of a document due for compiling (onCompile)', () => {
  it.each([
    ['{ hello }', ['compiled']],
    ['query Q($n: Int = 1) { hello(n: $n) }', ['nullable-default']],
    [`{ hello }${' '.repeat(5_000)}`, ['too-long']],
  ])('%s → %j, decided once', async (query, outcomes) => {
    const seen: string[] = [];
    const jit = createJitExecutor(schema, options({ onCompile: (outcome) => seen.push(outcome) }));
    for (let run = 0; run < 4; run += 1) await jit.execute(request(query));
    expect(seen).toEqual(outcomes);
  });
});

describe('createLru', () => {
  it.each([
    // [weights inserted in order, max weight, keys left]
    [[1, 1, 1], 10, ['0', '1', '2']],
    [[4, 4, 4], 10, ['1', '2']],
    [[9, 2], 10, ['1']],
    [[20], 10, ['0']], // one entry heavier than the bound stays, alone
    [[3, 20], 10, ['1']],
  ])('weights %j, at most %i: keys %j left', (weights, maxWeight, left) => {
    const lru = createLru<number>(100, maxWeight);
    weights.forEach((weight, index) => lru.set(String(index), index, weight));
    const keys = weights
      .map((_, index) => String(index))
      .filter((key) => lru.get(key) !== undefined);
    expect(keys).toEqual(left);
  });

  it('drops the least recently used key past its bound; a read counts as a use', () => {
    const lru = createLru<number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.size]).toEqual([1, undefined, 3, 2]);
  });
});

// A document that is never compiled must not take a compiled document's place: cheap refused documents would
// otherwise flush every compiled one, which then runs on graphql-js and is compiled again (second review).
describe('the compiled LRU and documents that are never compiled', () => {
  it('refused documents do not evict compiled ones (production sizes, compileAfter 1)', async () => {
    const outcomes: CompileOutcome[] = [];
    const jit = createJitExecutor(schema, {
      ...DEFAULT_JIT_OPTIONS,
      compileAfter: 1,
      onCompile: (outcome) => outcomes.push(outcome),
    });
    const steady = request('query Steady { hello }');
    await jit.execute(steady);
    await jit.execute(steady);
    expect(outcomes).toEqual(['compiled']);
    // A client's cheap refused documents, each sent twice (compileAfter + 1).
    for (let index = 0; index < DEFAULT_JIT_OPTIONS.maxCompiled; index += 1) {
      const refused = request(`{ __proto__: hello n${index}: hello }`);
      await jit.execute(refused);
      await jit.execute(refused);
    }
    outcomes.length = 0;
    await jit.execute(steady);
    await jit.execute(steady);
    // Observed: the steady document was evicted, runs on graphql-js again and is compiled a second time.
    expect(outcomes).toEqual([]);
  });
});
