import { Kind, parse } from 'graphql';
import type {
  ConstDirectiveNode,
  DefinitionNode,
  DocumentNode,
  GraphQLSchema,
  ObjectTypeDefinitionNode,
} from 'graphql';
import type { buildSubgraphSchema as BuildSubgraphSchema } from '@apollo/subgraph';

// Federation 2: the schema becomes a subgraph that composes into an Apollo Router supergraph.
// https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/federation
export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@shareable"])';

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/** The resolver map `buildSubgraphSchema` takes, from its public signature (not from the package's dist/). */
type SubgraphResolvers = NonNullable<
  Extract<Parameters<typeof BuildSubgraphSchema>[0], { resolvers?: unknown }>['resolvers']
>;

const SHAREABLE: ConstDirectiveNode = {
  kind: Kind.DIRECTIVE,
  name: { kind: Kind.NAME, value: 'shareable' },
  arguments: [],
};

function isValueType(definition: DefinitionNode): definition is ObjectTypeDefinitionNode {
  return definition.kind === Kind.OBJECT_TYPE_DEFINITION && !ROOT_TYPES.has(definition.name.value);
}

/**
 * The schema's SDL as a subgraph: the federation link, and every object type but the roots marked `@shareable`.
 * They are value types (no `@key`: see docs/federation.md), and a neighbour may define the same ones, Relay's
 * `PageInfo` first of all; without `@shareable` on both sides composition fails with INVALID_FIELD_SHARING.
 * https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/sharing-types
 */
export function subgraphTypeDefs(typeDefs: readonly string[]): DocumentNode {
  const document = parse([FEDERATION_LINK, ...typeDefs].join('\n'));
  return {
    ...document,
    definitions: document.definitions.map((definition) =>
      isValueType(definition)
        ? { ...definition, directives: [...(definition.directives ?? []), SHAREABLE] }
        : definition,
    ),
  };
}

/** The executable subgraph schema (`_service { sdl }` included). Loads the federation libraries on first use. */
export async function buildSubgraph(
  typeDefs: readonly string[],
  resolvers: object,
): Promise<GraphQLSchema> {
  // Loaded only in this mode: the federation libraries weigh several MB of memory.
  const { buildSubgraphSchema } = await import('@apollo/subgraph');
  return buildSubgraphSchema([
    { typeDefs: subgraphTypeDefs(typeDefs), resolvers: resolvers as SubgraphResolvers },
  ]);
}
