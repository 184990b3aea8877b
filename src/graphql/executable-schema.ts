import { GraphQLObjectType, GraphQLScalarType, Kind, buildASTSchema, parse } from 'graphql';
import type {
  DefinitionNode,
  DocumentNode,
  FieldDefinitionNode,
  GraphQLFieldResolver,
  GraphQLSchema,
  ObjectTypeDefinitionNode,
} from 'graphql';

interface MergedType {
  node: ObjectTypeDefinitionNode;
  readonly fields: FieldDefinitionNode[];
}

/**
 * Each object type and its `extend type`s as one definition, where the first of them stands, fields in the order
 * they come: the type order and field order `makeExecutableSchema` gave (what introspection showed until now).
 */
function mergeObjectTypes(document: DocumentNode): DocumentNode {
  const merged = new Map<string, MergedType>();
  const definitions: DefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION
    ) {
      definitions.push(definition);
      continue;
    }
    const known = merged.get(definition.name.value);
    const fields = definition.fields ?? [];
    if (known) {
      known.fields.push(...fields);
      if (definition.kind === Kind.OBJECT_TYPE_DEFINITION)
        known.node = { ...definition, fields: known.fields };
      continue;
    }
    const type: MergedType = {
      node: { ...definition, kind: Kind.OBJECT_TYPE_DEFINITION, fields: [] },
      fields: [...fields],
    };
    merged.set(definition.name.value, type);
    definitions.push(type.node);
  }
  return {
    ...document,
    definitions: definitions.map((definition) =>
      definition.kind === Kind.OBJECT_TYPE_DEFINITION
        ? {
            ...merged.get(definition.name.value)!.node,
            fields: merged.get(definition.name.value)!.fields,
          }
        : definition,
    ),
  };
}

/** Field resolvers by type and field, or a scalar's implementation by the scalar's name. */
export type SchemaResolvers = Readonly<
  Record<string, GraphQLScalarType | Readonly<Record<string, unknown>>>
>;

function addScalar(schema: GraphQLSchema, name: string, implementation: GraphQLScalarType) {
  const scalar = schema.getType(name);
  if (!(scalar instanceof GraphQLScalarType))
    throw new Error(`${name} is not a scalar of the schema`);
  // The implementation's coercion; its description only where it has one, else the SDL's stays (schema/ is the
  // API's source of truth: makeExecutableSchema replaced it with the implementation's none, and introspection lost
  // it). @specifiedBy stays the SDL's.
  scalar.description = implementation.description ?? scalar.description;
  scalar.serialize = implementation.serialize;
  scalar.parseValue = implementation.parseValue;
  scalar.parseLiteral = implementation.parseLiteral;
}

function addFieldResolvers(
  schema: GraphQLSchema,
  name: string,
  fields: Readonly<Record<string, unknown>>,
) {
  const type = schema.getType(name);
  if (!(type instanceof GraphQLObjectType))
    throw new Error(`${name} is not an object type of the schema`);
  const known = type.getFields();
  for (const [fieldName, resolve] of Object.entries(fields)) {
    const field = known[fieldName];
    if (!field || typeof resolve !== 'function')
      throw new Error(`${name}.${fieldName} is not a field of the schema`);
    field.resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
  }
}

/**
 * The executable schema from SDL and resolvers, as `makeExecutableSchema` builds it for Apollo Server's `typeDefs`
 * option (the schema is handed to Apollo through the `gateway` option now, which takes a built schema). The
 * resolvers here are field resolvers and custom scalars only; anything else is refused at start.
 */
export function buildExecutableSchema(
  typeDefs: readonly string[],
  resolvers: SchemaResolvers,
): GraphQLSchema {
  const schema = buildASTSchema(mergeObjectTypes(parse(typeDefs.join('\n'))));
  for (const [name, value] of Object.entries(resolvers)) {
    if (value instanceof GraphQLScalarType) addScalar(schema, name, value);
    else addFieldResolvers(schema, name, value);
  }
  return schema;
}
