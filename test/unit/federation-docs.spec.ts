import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { Kind, buildASTSchema, parse, validate, visit } from 'graphql';
import type { DocumentNode } from 'graphql';
import { subgraphTypeDefs } from '../../src/graphql/federation';

/** docs/federation.md's examples, checked against the schema: what the page shows composes and validates. */
const ROOT = path.join(__dirname, '..', '..');
const DOC = readFileSync(path.join(ROOT, 'docs', 'federation.md'), 'utf8');
const schemaFiles = () =>
  readdirSync(path.join(ROOT, 'schema'))
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(ROOT, 'schema', file), 'utf8'));
const blocks = [...DOC.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]!);
const block = (marker: string) => {
  const found = blocks.find((text) => text.includes(marker));
  if (!found) throw new Error(`docs/federation.md has no graphql block with ${marker}`);
  return found;
};

const intune = () => subgraphTypeDefs(schemaFiles());
const compose = (name: string, typeDefs: DocumentNode) =>
  composeServices([
    { name: 'intune', url: 'http://intune.invalid', typeDefs: intune() },
    { name, url: `http://${name}.invalid`, typeDefs },
  ]);

describe('docs/federation.md', () => {
  it("the neighbour's SDL that references user statuses composes with this subgraph", () => {
    const result = compose('audit', parse(block('resolvable: false')));
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toContain('auditEntries');
  });

  it("the neighbour's @shareable PageInfo composes; without @shareable it does not", () => {
    const sdl = `${block('type PageInfo @shareable')}\ntype Query { devicesCount: Int }`;
    expect(compose('devices', parse(sdl)).errors).toBeUndefined();
    const bare = parse(sdl.replace('type PageInfo @shareable', 'type PageInfo'));
    expect(compose('devices', bare).errors?.map((error) => error.extensions.code)).toContain(
      'INVALID_FIELD_SHARING',
    );
  });

  it('the Relay pagination fragment is valid against the schema (Relay directives aside)', () => {
    const relay = new Set(['argumentDefinitions', 'refetchable', 'connection']);
    const fragment = visit(parse(block('@connection')), {
      Directive: (node) => (relay.has(node.name.value) ? null : undefined),
    });
    const operation = parse(`query UserStatusListPaginationQuery(
      $deviceConfigurationId: ID!, $count: Int, $cursor: String
    ) { ...UserStatusList_query }`);
    const document: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [...operation.definitions, ...fragment.definitions],
    };
    const schema = buildASTSchema(parse(schemaFiles().join('\n')));
    expect(validate(schema, document)).toEqual([]);
  });
});
