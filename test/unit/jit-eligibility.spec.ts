import { getOperationAST, parse } from 'graphql';
import {
  MAX_COMPILED_DOCUMENT_LENGTH,
  MAX_COMPILED_VARIABLES,
  compileRefusal,
} from '../../src/graphql/jit-eligibility';

const variables = (count: number) =>
  Array.from({ length: count }, (_, index) => `$v${index}: Int`).join(' ');
const uses = (count: number) =>
  Array.from({ length: count }, (_, index) => `a${index}: f(n: $v${index})`).join(' ');

/** The refusal for the document's only operation (or the one named `Q`). */
function refusalOf(query: string) {
  const document = parse(query);
  const operation = getOperationAST(document, null) ?? getOperationAST(document, 'Q');
  return compileRefusal(document, query, operation!);
}

describe('compileRefusal', () => {
  it.each([
    // [document, refusal]
    ['{ a { b c } }', null],
    ['{ a b }', 'several-root-fields'],
    ['mutation { a b }', 'several-root-fields'],
    ['{ ...F } fragment F on Query { a }', null],
    ['{ ...F } fragment F on Query { a b }', 'several-root-fields'],
    ['{ ... on Query { a } ... on Query { b } }', 'several-root-fields'],
    ['{ ...F ...F } fragment F on Query { a }', 'several-root-fields'],
    ['{ a { ...F } } fragment F on A { b c d }', null],
    ['{ __schema { types { name } } }', 'introspection'],
    ['query Q { a { b } } query Other { __type(name: "A") { name } }', 'introspection'],
    ['query Q($n: Int) { f(n: $n) }', null],
    ['query Q($n: Int!) { f(n: $n) @include(if: true) }', null],
    ['query Q($n: Int! = 3) { f(n: $n) }', null],
    ['query Q($b: Boolean!) { f @skip(if: $b) }', null],
    [
      `query Q(${variables(MAX_COMPILED_VARIABLES)}) { r { ${uses(MAX_COMPILED_VARIABLES)} } }`,
      null,
    ],
    [
      `query Q(${variables(MAX_COMPILED_VARIABLES + 1)}) { r { ${uses(MAX_COMPILED_VARIABLES + 1)} } }`,
      'too-many-variables',
    ],
    ['query Q($n: Int) { f(input: { n: $n }) }', 'nested-variable'],
    ['query Q($n: Int) { f(list: [1, $n]) }', 'nested-variable'],
    ['query Q($n: Int) { f(input: { deep: [{ n: $n }] }) }', 'nested-variable'],
    ['query Q($n: Int) { f @include(if: true) { g(input: { n: $n }) } }', 'nested-variable'],
    ['query Q($x: Boolean = true) { f @include(if: $x) }', 'nullable-default'],
    ['query Q($x: [Int] = [1]) { f(list: $x) }', 'nullable-default'],
    ['{ __proto__: f }', 'proto-key'],
    ['{ r { __proto__: f } }', 'proto-key'],
    ['{ a { __proto__ } }', 'proto-key'],
    ['{ a { ...F } } fragment F on A { __proto__: b }', 'proto-key'],
    ['{ r { constructor: f toString: g } }', null],
  ])('%s → %s', (query, refusal) => {
    expect(refusalOf(query)).toBe(refusal);
  });

  it.each([
    [MAX_COMPILED_DOCUMENT_LENGTH, null],
    [MAX_COMPILED_DOCUMENT_LENGTH + 1, 'too-long'],
  ])('a document of %i characters → %s', (length, refusal) => {
    const query = `{ a }${' '.repeat(length - 5)}`;
    expect(query).toHaveLength(length);
    expect(refusalOf(query)).toBe(refusal);
  });
});
