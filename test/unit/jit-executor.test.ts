import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import { createJitExecutor, createLru } from '../../src/jit-executor';

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
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
  return {
    queryHash: query,
    operationName: null,
    document: parse(query),
    context: {},
    request: { query, variables },
  } as unknown as RequestContext;
}

describe('createJitExecutor', () => {
  it('compiles a document on its second use, and then runs it compiled', async () => {
    const jit = createJitExecutor(schema, { maxCompiled: 10, maxSeen: 10 });
    const query = 'query Q($n: Int) { hello(n: $n) }';
    expect(await jit.execute(request(query, { n: 1 }))).toEqual({ data: { hello: 'hi 1' } });
    expect(jit.compiledCount()).toBe(0);
    expect(await jit.execute(request(query, { n: 2 }))).toEqual({ data: { hello: 'hi 2' } });
    expect(jit.compiledCount()).toBe(1);
    expect(await jit.execute(request(query, { n: 3 }))).toEqual({ data: { hello: 'hi 3' } });
    expect(jit.compiledCount()).toBe(1);
  });

  it('errors keep their message, path and extensions, compiled or not', async () => {
    const jit = createJitExecutor(schema, { maxCompiled: 10, maxSeen: 10 });
    const results = [];
    for (let run = 0; run < 3; run += 1)
      results.push(await jit.execute(request('{ hello broken }')));
    const shapes = results.map((result) => JSON.parse(JSON.stringify(result)) as unknown);
    expect(shapes[0]).toEqual({
      data: { hello: 'hi undefined', broken: null },
      errors: [
        {
          message: 'nope',
          path: ['broken'],
          locations: [{ line: 1, column: 9 }],
          extensions: { code: 'NOT_FOUND' },
        },
      ],
    });
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
  });

  it('variables that do not coerce get graphql-js errors on the compiled path too', async () => {
    const jit = createJitExecutor(schema, { maxCompiled: 10, maxSeen: 10 });
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
      const jit = createJitExecutor(schema, { maxCompiled: 5, maxSeen: 8 });
      for (let index = 0; index < count; index += 1)
        for (let use = 0; use < uses; use += 1) await jit.execute(request(`{ a${index}: hello }`));
      expect(jit.compiledCount()).toBe(kept);
    },
  );
});

describe('createLru', () => {
  it('drops the least recently used key past its bound; a read counts as a use', () => {
    const lru = createLru<number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.size]).toEqual([1, undefined, 3, 2]);
  });
});
