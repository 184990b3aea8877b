import { buildSchema, parse, validate } from 'graphql';
import { createQueryLimitsRule } from '../../src/limits';

// A recursive schema, so that depth can be tested beyond what the gateway's own schema allows today.
const schema = buildSchema(`
  type Node { id: ID, name: String, child: Node }
  type Query { node: Node }
`);
const rule = createQueryLimitsRule({
  maxDepth: 10,
  maxAliases: 50,
  maxFields: 200,
  maxDocumentLength: 50_000,
});
const errors = (document: string) =>
  validate(schema, parse(document), [rule]).map((error) => error.message);

function chain(depth: number): string {
  // depth 1 is `{ node { id } }`'s `node`; each `child` adds one level; `id` is the deepest field.
  return `{ node ${'{ child '.repeat(Math.max(0, depth - 2))}{ id }${' }'.repeat(Math.max(0, depth - 2))} }`;
}

describe('createQueryLimitsRule', () => {
  it.each([
    [2, []],
    [10, []],
    [11, ['The operation is nested 11 levels deep (at most 10).']],
  ])('depth %i → %j', (depth, expected) => {
    expect(errors(chain(depth))).toEqual(expected);
  });

  it('counts depth through fragments and inline fragments', () => {
    const document = `{ node { ...A } } fragment A on Node { child { ... on Node { ${'child { '.repeat(8)}id${' }'.repeat(8)} } } }`;
    expect(errors(document)).toEqual(['The operation is nested 11 levels deep (at most 10).']);
  });

  it('counts aliases and fields, fragments once per spread', () => {
    const aliases = Array.from({ length: 51 }, (_, i) => `a${i}: node { id }`).join(' ');
    expect(errors(`{ ${aliases} }`)).toEqual(['The operation uses more than 50 aliases.']);
    const spreads = Array.from({ length: 41 }, (_, i) => `n${i}: node { ...F }`).join(' ');
    expect(errors(`{ ${spreads} } fragment F on Node { id name child { id } }`)).toEqual([
      'The operation selects more than 200 fields.',
    ]);
  });

  it('survives a fragment cycle (graphql-js reports the cycle itself)', () => {
    const document =
      '{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ...A } }';
    expect(() => validate(schema, parse(document), [rule])).not.toThrow();
  });

  it('leaves introspection out', () => {
    expect(
      errors(
        `{ __schema { types { fields { type { ${'ofType { '.repeat(12)}name${' }'.repeat(12)} } } } } }`,
      ),
    ).toEqual([]);
  });
});
