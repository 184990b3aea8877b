import { Kind, buildSchema, executeSync, parse } from 'graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { selectedFields } from '../../src/graphql/selection';

const schema = buildSchema(`
  type Item { id: ID, name: String, status: String }
  type Page { nodes: [Item], total: Int }
  type Query { item: Item, page: Page }
`);

/** Runs the document (unvalidated: the limits rule's tests cover validation) and returns what the resolver saw. */
function seen(document: string, field: 'item' | 'page', path: string[] = []): string[] {
  let fields: string[] = [];
  // A function on the root value is called as a resolver with (args, context, info).
  const capture = (_args: unknown, _context: unknown, info: GraphQLResolveInfo) => {
    fields = selectedFields(info, path);
    return null;
  };
  executeSync({ schema, document: parse(document), rootValue: { [field]: capture } });
  return fields.sort();
}

/** `fragment B0 on Item { ...B1 ...B1 } … fragment Bn on Item { id }`: 2^n visits without memory. */
function bomb(levels: number): string {
  const chain = Array.from(
    { length: levels },
    (_, i) => `fragment B${i} on Item { ...B${i + 1} ...B${i + 1} }`,
  );
  return `${chain.join(' ')} fragment B${levels} on Item { id }`;
}

describe('selectedFields', () => {
  it.each<[string, string, 'item' | 'page', string[], string[]]>([
    ['plain fields', '{ item { id name } }', 'item', [], ['id', 'name']],
    ['inline fragments', '{ item { id ... on Item { status } } }', 'item', [], ['id', 'status']],
    ['named fragments', '{ item { ...F } } fragment F on Item { name }', 'item', [], ['name']],
    [
      'under a path',
      '{ page { total nodes { id ...F } } } fragment F on Item { status }',
      'page',
      ['nodes'],
      ['id', 'status'],
    ],
    [
      'a fragment at two depths',
      '{ page { ...P } } fragment P on Page { nodes { ...F } } fragment F on Item { name }',
      'page',
      ['nodes'],
      ['name'],
    ],
    [
      'a fragment cycle',
      '{ item { ...A } } fragment A on Item { id ...B } fragment B on Item { name ...A }',
      'item',
      [],
      ['id', 'name'],
    ],
    ['a 40-level fragment bomb', `{ item { ...B0 } } ${bomb(40)}`, 'item', [], ['id']],
  ])('%s', (_name, document, field, path, expected) => {
    expect(seen(document, field, path)).toEqual(expected);
  });

  it('reads each fragment of a 20-level bomb once, not 2^20 times', () => {
    const document = parse(`{ item { ...B0 } } ${bomb(20)}`);
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
    let fields: string[] = [];
    executeSync({
      schema,
      document,
      rootValue: {
        item: (_args: unknown, _context: unknown, info: GraphQLResolveInfo) => {
          fields = selectedFields(info);
          return null;
        },
      },
    });
    expect(fields).toEqual(['id']);
    // graphql-js's executor reads a fragment while collecting fields; selectedFields reads it once more.
    expect(Math.max(...reads.values())).toBeLessThanOrEqual(3);
  });
});
