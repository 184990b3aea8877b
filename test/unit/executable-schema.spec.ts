import { makeExecutableSchema } from '@graphql-tools/schema';
import { Kind, graphqlSync, introspectionFromSchema, parse, printSchema } from 'graphql';
import type { GraphQLScalarType } from 'graphql';
import { loadTypeDefs } from '../../src/graphql/apollo';
import { buildExecutableSchema } from '../../src/graphql/executable-schema';
import type { SchemaResolvers } from '../../src/graphql/executable-schema';
import { pageInfoResolvers } from '../../src/graphql/page-info';
import { resolvers } from '../../src/graphql/resolvers';
import { DateTimeOffsetScalar } from '../../src/graphql/scalars';

const typeDefs = loadTypeDefs();
const all = { ...resolvers, ...pageInfoResolvers } as SchemaResolvers;

/** The description schema/ gives the scalar. */
function sdlDescription(): string | undefined {
  const definition = parse(typeDefs.join('\n')).definitions.find(
    (node) => node.kind === Kind.SCALAR_TYPE_DEFINITION && node.name.value === 'DateTimeOffset',
  );
  return definition?.kind === Kind.SCALAR_TYPE_DEFINITION
    ? definition.description?.value
    : undefined;
}

describe('buildExecutableSchema', () => {
  it('gives the schema makeExecutableSchema gave Apollo Server (printed, and by introspection), but for the scalar description it dropped', () => {
    const ours = buildExecutableSchema(typeDefs, all);
    const theirs = makeExecutableSchema({ typeDefs, resolvers: all as never });
    expect((theirs.getType('DateTimeOffset') as GraphQLScalarType).description).toBeUndefined();
    (theirs.getType('DateTimeOffset') as GraphQLScalarType).description = sdlDescription();
    expect(printSchema(ours)).toBe(printSchema(theirs));
    expect(introspectionFromSchema(ours)).toEqual(introspectionFromSchema(theirs));
  });

  it('serves the DateTimeOffset description of schema/ by introspection (the implementation has none)', () => {
    expect(DateTimeOffsetScalar.description).toBeUndefined();
    const result = graphqlSync({
      schema: buildExecutableSchema(typeDefs, all),
      source: '{ __type(name: "DateTimeOffset") { description } }',
    });
    expect(sdlDescription()).toContain("Microsoft Graph's Edm.DateTimeOffset");
    expect(result.data).toEqual({ __type: { description: sdlDescription() } });
  });

  it('wires every resolver and the scalar', () => {
    const schema = buildExecutableSchema(typeDefs, all);
    expect(schema.getMutationType()?.getFields().updateDeviceConfigurationUserStatus?.resolve).toBe(
      resolvers.Mutation?.updateDeviceConfigurationUserStatus,
    );
    const result = graphqlSync({
      schema,
      source: '{ __type(name: "DateTimeOffset") { specifiedByURL } }',
    });
    expect(result.data).toEqual({
      __type: { specifiedByURL: DateTimeOffsetScalar.specifiedByURL },
    });
    const scalar = schema.getType('DateTimeOffset');
    expect(() => (scalar as typeof DateTimeOffsetScalar).parseValue('not a date')).toThrow();
  });

  it.each([
    [{ Nope: { a: () => 1 } }, 'Nope is not an object type of the schema'],
    [{ Query: { nope: () => 1 } }, 'Query.nope is not a field of the schema'],
    [{ ComplianceStatus: DateTimeOffsetScalar }, 'ComplianceStatus is not a scalar of the schema'],
  ])('refuses resolvers the schema has no place for: %j', (extra, message) => {
    expect(() => buildExecutableSchema(typeDefs, { ...all, ...extra })).toThrow(message);
  });
});
