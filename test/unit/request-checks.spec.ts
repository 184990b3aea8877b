import { Kind, buildSchema, parse, specifiedRules, validate } from 'graphql';
import type { OperationDefinitionNode } from 'graphql';
import {
  NoSubscriptionsRule,
  SUBSCRIPTIONS_REFUSED,
  requiredUses,
} from '../../src/graphql/request-checks';

const schema = buildSchema(`
  enum Path { A B }
  input Where { path: Path! = A, id: ID! }
  type Query {
    read(path: Path! = A, id: ID!, where: Where, ids: [ID!]): String
    maybe(id: ID): String
  }
`);

function usesOf(query: string) {
  const document = parse(query);
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION,
  )!;
  return requiredUses(schema, document, operation).map(
    ({ name, type, nullDefault }) => `${name}:${type}${nullDefault ? '=null' : ''}`,
  );
}

describe('requiredUses: nullable variables used where a value is required', () => {
  it.each([
    ['no variables', '{ read(id: "x") }', []],
    ['a non-null variable (coercion refuses its null)', 'query($id: ID!) { read(id: $id) }', []],
    ['a nullable variable in a nullable place', 'query($id: ID) { maybe(id: $id) }', []],
    ['an argument with a default', 'query($p: Path) { read(path: $p, id: "x") }', ['p:Path!']],
    ['a defaulted variable as a required id', 'query($id: ID = "x") { read(id: $id) }', ['id:ID!']],
    [
      'a variable whose default is null',
      'query($p: Path = null) { read(path: $p, id: "x") }',
      ['p:Path!=null'],
    ],
    ['@include(if:)', 'query($b: Boolean = true) { maybe @include(if: $b) }', ['b:Boolean!']],
    [
      '@skip(if:) in a fragment',
      'query($b: Boolean = true) { ...F } fragment F on Query { maybe @skip(if: $b) }',
      ['b:Boolean!'],
    ],
    [
      'an input object field',
      'query($p: Path) { read(id: "x", where: { path: $p, id: "y" }) }',
      ['p:Path!'],
    ],
    ['a list item', 'query($id: ID = "x") { read(id: "y", ids: [$id]) }', ['id:ID!']],
    [
      'once per variable',
      'query($b: Boolean = true) { a: maybe @include(if: $b) b: maybe @skip(if: $b) }',
      ['b:Boolean!'],
    ],
  ])('%s', (_name, query, expected) => {
    expect(usesOf(query)).toEqual(expected);
  });
});

describe('NoSubscriptionsRule', () => {
  it.each([
    ['a query', '{ __typename }', []],
    ['a mutation', 'mutation { __typename }', []],
    ['a subscription', 'subscription { __typename }', [SUBSCRIPTIONS_REFUSED]],
    [
      'a subscription beside a query',
      'query A { __typename } subscription B { __typename }',
      [SUBSCRIPTIONS_REFUSED],
    ],
  ])('%s', (_name, query, messages) => {
    const errors = validate(schema, parse(query), [...specifiedRules, NoSubscriptionsRule]);
    expect(errors.map((error) => error.message)).toEqual(messages);
  });
});
