import { Kind, parse } from 'graphql';
import type {
  ConstDirectiveNode,
  DefinitionNode,
  DocumentNode,
  GraphQLSchema,
  ObjectTypeDefinitionNode,
} from 'graphql';
import type { buildSubgraphSchema as BuildSubgraphSchema } from '@apollo/subgraph';
import { entityResolvers } from './resolvers';

// Federation 2: the schema becomes a subgraph that composes into an Apollo Router supergraph.
// https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/federation
export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';

/** The entity: a user status is found again by the three ids of where it is (see docs/federation.md). */
export const USER_STATUS_ENTITY = 'DeviceConfigurationUserStatus';
export const USER_STATUS_KEY = 'path deviceConfigurationId id';

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/** The resolver map `buildSubgraphSchema` takes, from its public signature (not from the package's dist/). */
type SubgraphResolvers = NonNullable<
  Extract<Parameters<typeof BuildSubgraphSchema>[0], { resolvers?: unknown }>['resolvers']
>;

const directive = (name: string, fields?: string): ConstDirectiveNode => ({
  kind: Kind.DIRECTIVE,
  name: { kind: Kind.NAME, value: name },
  arguments: fields
    ? [
        {
          kind: Kind.ARGUMENT,
          name: { kind: Kind.NAME, value: 'fields' },
          value: { kind: Kind.STRING, value: fields },
        },
      ]
    : [],
});

const SHAREABLE = directive('shareable');
const KEY = directive('key', USER_STATUS_KEY);

function isValueType(definition: DefinitionNode): definition is ObjectTypeDefinitionNode {
  return definition.kind === Kind.OBJECT_TYPE_DEFINITION && !ROOT_TYPES.has(definition.name.value);
}

/** `@shareable` on every object type but the roots; `@key` too on the user status. */
function subgraphDirectives(definition: ObjectTypeDefinitionNode): ConstDirectiveNode[] {
  const own = [...(definition.directives ?? []), SHAREABLE];
  return definition.name.value === USER_STATUS_ENTITY ? [KEY, ...own] : own;
}

/**
 * The schema's SDL as a subgraph: the federation link, the user status as an entity (`@key`), and every object type
 * but the roots marked `@shareable`. A neighbour may define the same value types, Relay's `PageInfo` first of all;
 * without `@shareable` on both sides composition fails with INVALID_FIELD_SHARING. The user status stays
 * `@shareable` as it was before it became an entity, so a neighbour that defined it as a value type still composes.
 * https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/sharing-types
 */
export function subgraphTypeDefs(typeDefs: readonly string[]): DocumentNode {
  const document = parse([FEDERATION_LINK, ...typeDefs].join('\n'));
  return {
    ...document,
    definitions: document.definitions.map((definition) =>
      isValueType(definition)
        ? { ...definition, directives: subgraphDirectives(definition) }
        : definition,
    ),
  };
}

/** The resolvers with the entity's `__resolveReference` (resolvers.ts) merged into the user status's own. */
function withEntityResolvers(resolvers: object): object {
  const own = (resolvers as Record<string, object | undefined>)[USER_STATUS_ENTITY];
  return {
    ...resolvers,
    [USER_STATUS_ENTITY]: { ...own, ...entityResolvers[USER_STATUS_ENTITY] },
  };
}

/** The executable subgraph schema (`_service { sdl }` and `_entities` included). Loads the federation libraries on first use. */
export async function buildSubgraph(
  typeDefs: readonly string[],
  resolvers: object,
): Promise<GraphQLSchema> {
  // Loaded only in this mode: the federation libraries weigh several MB of memory.
  const { buildSubgraphSchema } = await import('@apollo/subgraph');
  return buildSubgraphSchema([
    {
      typeDefs: subgraphTypeDefs(typeDefs),
      resolvers: withEntityResolvers(resolvers) as SubgraphResolvers,
    },
  ]);
}
