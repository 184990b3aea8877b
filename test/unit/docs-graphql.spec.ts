import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Kind, buildASTSchema, isObjectType, parse, print, validate } from 'graphql';
import type { FieldDefinitionNode, GraphQLField, ObjectTypeDefinitionNode } from 'graphql';

/**
 * The GraphQL the README and docs/ show, checked against schema/. docs/federation.md has its own audit (its
 * examples compose with a neighbour's SDL: federation-docs.spec.ts).
 *
 * README.md's "The API in one screen" is the schema abridged: it may leave fields out, but what it shows must be
 * what schema/ says, argument for argument. It drifted once (issue 22 made `path` non-null with a default; the
 * README kept the old, nullable `path`).
 */
const ROOT = path.join(__dirname, '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const section = README.slice(README.indexOf('## The API in one screen'));
const block = /```graphql\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
const schema = buildASTSchema(
  parse(
    readdirSync(path.join(ROOT, 'schema'))
      .filter((file) => file.endsWith('.graphql'))
      .map((file) => readFileSync(path.join(ROOT, 'schema', file), 'utf8'))
      .join('\n'),
  ),
);

/** `name: Type = default` for each argument, in order, as SDL prints them. */
const shownArguments = (node: FieldDefinitionNode) =>
  (node.arguments ?? []).map(
    (argument) =>
      `${argument.name.value}: ${print(argument.type)}${argument.defaultValue ? ` = ${print(argument.defaultValue)}` : ''}`,
  );

const schemaArguments = (field: GraphQLField<unknown, unknown>) =>
  field.args.map((argument) => {
    const node = argument.astNode!;
    return `${argument.name}: ${String(argument.type)}${node.defaultValue ? ` = ${print(node.defaultValue)}` : ''}`;
  });

const shown = parse(block).definitions.filter(
  (definition): definition is ObjectTypeDefinitionNode =>
    definition.kind === Kind.OBJECT_TYPE_DEFINITION,
);
const rows = shown.flatMap((type) =>
  (type.fields ?? []).map(
    (field) => [`${type.name.value}.${field.name.value}`, type, field] as const,
  ),
);

describe("README.md's API in one screen", () => {
  it('shows the root types and the user status', () => {
    expect(shown.map((type) => type.name.value)).toEqual(
      expect.arrayContaining(['Query', 'Mutation', 'DeviceConfigurationUserStatus']),
    );
  });

  it.each(rows)("%s is the schema's field: its type and every argument", (_name, type, field) => {
    const real = schema.getType(type.name.value);
    if (!isObjectType(real)) throw new Error(`schema/ has no object type ${type.name.value}`);
    const actual = real.getFields()[field.name.value];
    if (!actual) throw new Error(`schema/ has no field ${type.name.value}.${field.name.value}`);
    expect(print(field.type)).toBe(String(actual.type));
    expect(shownArguments(field)).toEqual(schemaArguments(actual));
  });
});

const DOCS = path.join(ROOT, 'docs');
const pages = [
  ['README.md', README] as const,
  ...readdirSync(DOCS)
    .filter((file) => file.endsWith('.md') && file !== 'federation.md')
    .map((file) => [file, readFileSync(path.join(DOCS, file), 'utf8')] as const),
];

/**
 * Every operation a page shows: its executable ```graphql blocks (the README's schema is audited above), the
 * documents inside its JavaScript examples (`query: ` and gql template literals) and in curl's JSON bodies.
 */
const operations = pages.flatMap(([file, text]) => {
  const blocks = [...text.matchAll(/```graphql\n([\s\S]*?)```/g)]
    .map((match) => match[1]!)
    .filter((block) => !/^\s*type /m.test(block));
  const embedded = [...text.matchAll(/(?:query: |gql)`([^`]*)`/g)].map((match) => match[1]!);
  const bodies = [...text.matchAll(/"query":("(?:[^"\\]|\\.)*")/g)].map(
    (match) => JSON.parse(match[1]!) as string,
  );
  return [...blocks, ...embedded, ...bodies].map(
    (document, index) => [`${file} #${index + 1}`, document] as const,
  );
});

describe('the operations the README and docs/ show', () => {
  it('are found (the extraction still matches the pages)', () => {
    expect(operations.length).toBeGreaterThanOrEqual(5);
  });

  it.each(operations)('%s is valid against the schema', (_name, document) => {
    expect(validate(schema, parse(document)).map((error) => error.message)).toEqual([]);
  });
});
