import { parse } from 'graphql';
import {
  MAX_COMPILED_DOCUMENT_LENGTH,
  MAX_COMPILED_VARIABLES,
  compileRefusal,
} from '../../src/jit-eligibility';

const variables = (count: number) =>
  Array.from({ length: count }, (_, index) => `$v${index}: Int`).join(' ');
const uses = (count: number) =>
  Array.from({ length: count }, (_, index) => `a${index}: f(n: $v${index})`).join(' ');

describe('compileRefusal', () => {
  it.each([
    // [document, refusal]
    ['{ a b { c } }', null],
    ['query Q($n: Int) { f(n: $n) }', null],
    ['query Q($n: Int!) { f(n: $n) @include(if: true) }', null],
    ['query Q($n: Int! = 3) { f(n: $n) }', null],
    ['query Q($b: Boolean!) { f @skip(if: $b) }', null],
    [`query Q(${variables(MAX_COMPILED_VARIABLES)}) { ${uses(MAX_COMPILED_VARIABLES)} }`, null],
    [
      `query Q(${variables(MAX_COMPILED_VARIABLES + 1)}) { ${uses(MAX_COMPILED_VARIABLES + 1)} }`,
      'too-many-variables',
    ],
    ['query Q($n: Int) { f(input: { n: $n }) }', 'nested-variable'],
    ['query Q($n: Int) { f(list: [1, $n]) }', 'nested-variable'],
    ['query Q($n: Int) { f(input: { deep: [{ n: $n }] }) }', 'nested-variable'],
    ['query Q($n: Int) { f @include(if: true) { g(input: { n: $n }) } }', 'nested-variable'],
    ['query Q($x: Boolean = true) { f @include(if: $x) }', 'nullable-default'],
    ['query Q($x: [Int] = [1]) { f(list: $x) }', 'nullable-default'],
    ['{ __proto__: f }', 'proto-key'],
    ['{ a { __proto__ } }', 'proto-key'],
    ['{ a { ...F } } fragment F on A { __proto__: b }', 'proto-key'],
    ['{ constructor: f toString: g }', null],
  ])('%s → %s', (query, refusal) => {
    expect(compileRefusal(parse(query), query)).toBe(refusal);
  });

  it.each([
    [MAX_COMPILED_DOCUMENT_LENGTH, null],
    [MAX_COMPILED_DOCUMENT_LENGTH + 1, 'too-long'],
  ])('a document of %i characters → %s', (length, refusal) => {
    const query = `{ a }${' '.repeat(length - 5)}`;
    expect(query).toHaveLength(length);
    expect(compileRefusal(parse(query), query)).toBe(refusal);
  });
});
