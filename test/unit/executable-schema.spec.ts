import { makeExecutableSchema } from '@graphql-tools/schema';
import { graphqlSync, introspectionFromSchema, printSchema } from 'graphql';
import { loadTypeDefs } from '../../src/apollo';
import { buildExecutableSchema } from '../../src/executable-schema';
import type { SchemaResolvers } from '../../src/executable-schema';
import { pageInfoResolvers } from '../../src/page-info';
import { resolvers } from '../../src/resolvers';
import { DateTimeOffsetScalar } from '../../src/scalars';

const typeDefs = loadTypeDefs();
const all = { ...resolvers, ...pageInfoResolvers } as SchemaResolvers;

describe('buildExecutableSchema', () => {
  it('gives the schema makeExecutableSchema gave Apollo Server (printed, and by introspection)', () => {
    const ours = buildExecutableSchema(typeDefs, all);
    const theirs = makeExecutableSchema({ typeDefs, resolvers: all as never });
    expect(printSchema(ours)).toBe(printSchema(theirs));
    expect(introspectionFromSchema(ours)).toEqual(introspectionFromSchema(theirs));
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
