import { Kind, buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import type { IntrospectionOptions } from 'graphql';
import { DEFAULT_QUERY_LIMITS, createQueryLimitsRule } from '../../src/graphql/limits';

// A recursive schema, so that depth can be tested beyond what the gateway's own schema allows today.
const schema = buildSchema(`
  type Node { id: ID, name: String, child: Node }
  type Query { node: Node }
`);
const rule = createQueryLimitsRule(DEFAULT_QUERY_LIMITS);
const errors = (document: string) =>
  validate(schema, parse(document), [rule]).map((error) => error.message);

function chain(depth: number): string {
  // depth 1 is `{ node { id } }`'s `node`; each `child` adds one level; `id` is the deepest field.
  return `{ node ${'{ child '.repeat(Math.max(0, depth - 2))}{ id }${' }'.repeat(Math.max(0, depth - 2))} }`;
}

/** `query{...F0} fragment F0 on Query{...F1 ...F1} … fragment Fn on Query{__typename}`: 2^n fields once spread. */
function fragmentBomb(levels: number): string {
  const chainOf = Array.from(
    { length: levels },
    (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
  );
  return `query { ...F0 } ${chainOf.join(' ')} fragment F${levels} on Query { __typename }`;
}

const repeat = (count: number, make: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => make(i)).join(' ');

describe('createQueryLimitsRule', () => {
  it.each([
    [2, []],
    [10, []],
    [11, ['The operation is nested 11 levels deep (at most 10).']],
  ])('depth %i → %j', (depth, expected) => {
    expect(errors(chain(depth))).toEqual(expected);
  });

  it.each([
    [
      'depth through fragments and inline fragments',
      `{ node { ...A } } fragment A on Node { child { ... on Node { ${'child { '.repeat(8)}id${' }'.repeat(8)} } } }`,
      ['The operation is nested 11 levels deep (at most 10).'],
    ],
    [
      '51 aliases',
      `{ ${repeat(51, (i) => `a${i}: node { id }`)} }`,
      ['The operation uses more than 50 aliases.'],
    ],
    [
      'a fragment counted at each of its 41 spreads',
      `{ ${repeat(41, (i) => `n${i}: node { ...F }`)} } fragment F on Node { id name child { id } }`,
      ['The operation selects more than 200 fields.'],
    ],
    [
      'one fragment spread 50 times in one selection (201 fields)',
      `{ node { ${repeat(50, () => '...F')} } } fragment F on Node { id name child { id } }`,
      ['The operation selects more than 200 fields.'],
    ],
    [
      '201 __typename (every field counts)',
      `{ ${repeat(201, () => '__typename')} }`,
      ['The operation selects more than 200 fields.'],
    ],
    ['200 fields in all', `{ node { ${repeat(199, () => 'id')} } }`, []],
    [
      'a fragment bomb of 24 levels',
      fragmentBomb(24),
      ['The operation selects more than 200 fields.'],
    ],
    [
      'a fragment bomb of 40 levels',
      fragmentBomb(40),
      ['The operation selects more than 200 fields.'],
    ],
    [
      'a fragment bomb of 1,000 levels (1,001 fragments)',
      fragmentBomb(1000),
      ['The document defines more than 50 operations and fragments.'],
    ],
    [
      '50 operations and fragments',
      `${repeat(25, (i) => `query Q${i} { ...F${i} }`)} ${repeat(25, (i) => `fragment F${i} on Query { node { id } }`)}`,
      [],
    ],
    [
      '51 operations',
      repeat(51, (i) => `query Q${i} { node { id } }`),
      ['The document defines more than 50 operations and fragments.'],
    ],
    [
      '100 variables over two operations',
      `query A(${repeat(50, (i) => `$a${i}: ID`)}) { node { id } } query B(${repeat(50, (i) => `$b${i}: ID`)}) { node { id } }`,
      [],
    ],
    [
      '101 variables',
      `query A(${repeat(101, (i) => `$a${i}: ID`)}) { node { id } }`,
      ['The document declares more than 100 variables.'],
    ],
    ['a fragment bomb of 7 levels (128 fields) is fine', fragmentBomb(7), []],
    [
      'a fragment cycle (graphql-js reports the cycle itself)',
      '{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ...A } }',
      [],
    ],
  ])('%s', (_name, document, expected) => {
    expect(errors(document)).toEqual(expected);
  });

  it('reads each fragment of a 20-level bomb once, not 2^20 times', () => {
    const document = parse(fragmentBomb(20));
    const reads = new Map<string, number>();
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
      const { selectionSet } = definition;
      Object.defineProperty(definition, 'selectionSet', {
        get: () => {
          reads.set(definition.name.value, (reads.get(definition.name.value) ?? 0) + 1);
          return selectionSet;
        },
      });
    }
    validate(schema, document, [rule]);
    // graphql-js's visitor reads each once, the rule at most once more.
    expect(Math.max(...reads.values())).toBeLessThanOrEqual(2);
  });
});

// Apollo Server validates with graphql-js's rules first, then its `validationRules`, in one parallel visit. A
// document over a limit ends validation there: the other rules never see its contents (their cost on a hostile
// document was the point), so its other mistakes are not reported; within the limits, they are.
describe('createQueryLimitsRule stops validation', () => {
  const apolloOrder = (document: string) =>
    validate(schema, parse(document), [...specifiedRules, rule]).map((error) => error.message);

  it.each([
    [
      'over the field limit, with an unknown field and an unused variable',
      `query Q($unused: ID) { node { nope ${repeat(200, () => 'id')} } }`,
      ['The operation selects more than 200 fields.'],
    ],
    [
      'over the definition limit, with unknown fragments and types',
      repeat(51, (i) => `query Q${i} { ...Missing${i} } fragment X${i} on Nowhere { id }`),
      ['The document defines more than 50 operations and fragments.'],
    ],
    [
      'within the limits, the same mistakes reported',
      'query Q($unused: ID) { node { nope id } }',
      [
        'Cannot query field "nope" on type "Node". Did you mean "name"?',
        'Variable "$unused" is never used in operation "Q".',
      ],
    ],
  ])('%s', (_name, document, expected) => {
    expect(apolloOrder(document)).toEqual(expected);
  });

  it('names the first definition and variable too many', () => {
    const [definitions] = validate(
      schema,
      parse(repeat(51, (i) => `query Q${i} { node { id } }`)),
      [rule],
    );
    const [variables] = validate(
      schema,
      parse(`query A(${repeat(101, (i) => `$a${i}: ID`)}) { node { id } }`),
      [rule],
    );
    expect(definitions?.nodes?.[0]).toMatchObject({ name: { value: 'Q50' } });
    expect(variables?.nodes?.[0]).toMatchObject({ variable: { name: { value: 'a100' } } });
  });
});

describe('createQueryLimitsRule on introspection', () => {
  it.each<[string, IntrospectionOptions]>([
    ['graphql-js defaults', {}],
    [
      'GraphiQL 5 (inputValueDeprecation, schemaDescription)',
      { inputValueDeprecation: true, schemaDescription: true },
    ],
    [
      'every option on (codegen tools)',
      {
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
        oneOf: true,
      },
    ],
  ])('passes the introspection query of %s', (_name, options) => {
    expect(errors(getIntrospectionQuery(options))).toEqual([]);
  });

  it.each([
    [
      '90 aliased types × 90 aliased fields',
      `{ __schema { ${repeat(90, (t) => `t${t}: types { ${repeat(90, (f) => `f${f}: fields { name }`)} }`)} } }`,
      ['The operation uses more than 50 aliases.'],
    ],
    [
      '51 aliased __type',
      `{ ${repeat(51, (i) => `t${i}: __type(name: "Node") { name }`)} }`,
      ['The operation uses more than 50 aliases.'],
    ],
    [
      'ofType 20 levels deep',
      `{ __type(name: "Node") { ${'ofType { '.repeat(19)}name${' }'.repeat(19)} } }`,
      ['The operation introspects 21 levels deep (at most 20).'],
    ],
    [
      'ofType 19 levels deep',
      `{ __type(name: "Node") { ${'ofType { '.repeat(18)}name${' }'.repeat(18)} } }`,
      [],
    ],
    [
      '501 introspection fields',
      `{ __schema { types { ${repeat(500, () => 'name')} } } }`,
      ['The operation introspects more than 500 fields.'],
    ],
    [
      'a fragment spread under __schema counts as introspection',
      `{ __schema { types { ${repeat(3, () => '...T')} } } } fragment T on __Type { ${repeat(200, () => 'name')} }`,
      ['The operation introspects more than 500 fields.'],
    ],
  ])('refuses or allows %s', (_name, document, expected) => {
    expect(errors(document)).toEqual(expected);
  });
});
