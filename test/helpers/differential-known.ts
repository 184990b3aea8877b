import { getIntrospectionQuery } from 'graphql';
import { C, S } from './differential';
import type { Feature, GeneratedRequest } from './differential';

const known = (
  name: string,
  query: string,
  variables: Record<string, unknown>,
  options: Partial<GeneratedRequest> = {},
): GeneratedRequest => ({
  name,
  query,
  variables,
  token: true,
  nullRequired: [],
  features: new Set<Feature>(),
  ...options,
});

const READ = `u: deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s)`;

// Requests that graphql-jit answered differently once compiled (the issue's, and those of the removed
// jit-differences/jit-executor specs), each checked against graphql-js like the generated ones.
export const KNOWN: readonly GeneratedRequest[] = [
  ...[true, false].map((a) =>
    known(
      `a fragment spread under @include(if: $a) and, inside another fragment, under @skip(if: $a); a = ${a}`,
      `query K($a: Boolean!, $c: ID!, $s: ID!) { ${READ} { ...F @include(if: $a) ...G } }
       fragment F on DeviceConfigurationUserStatus { userDisplayName devicesCount }
       fragment G on DeviceConfigurationUserStatus { id ...F @skip(if: $a) }`,
      { a, c: C, s: S[0] },
    ),
  ),
  known(
    'a field skipped at its first occurrence keeps its place in the answer',
    `query K($a: Boolean!, $c: ID!, $s: ID!) { ${READ} { status @skip(if: $a) id status userDisplayName } }`,
    { a: true, c: C, s: S[1] },
  ),
  known(
    'aliases named __proto__ at the root and on a user status',
    `query K($c: ID!, $s: ID!) { __proto__: __typename ${READ} { __proto__: id status constructor: userDisplayName } }`,
    { c: C, s: S[0] },
  ),
  known(
    'partial data: one read found, one NOT_FOUND with its path',
    `query K($c: ID!, $s: ID!) { found: deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) { id status __typename }
       missing: deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: "nope") { ...F } }
     fragment F on DeviceConfigurationUserStatus { id userDisplayName }`,
    { c: C, s: S[0] },
  ),
  ...(['a', 'd'] as const).map((first) =>
    known(
      `a non-null root field failing (${first === 'd' ? 'first' : 'last'}) beside a read`,
      first === 'd'
        ? `query K($c: ID!) { d: deviceConfigurationUserStatuses(deviceConfigurationId: $c, first: 0) { nodes { id } } a: deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: "nope") { id } }`
        : `query K($c: ID!) { a: deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: "nope") { id } d: deviceConfigurationUserStatuses(deviceConfigurationId: $c, first: 0) { nodes { id } } }`,
      { c: C },
    ),
  ),
  known(
    'two operations, the second chosen by name',
    `query K($c: ID!, $s: ID!) { ${READ} { id } } query Other { __typename }`,
    { c: C, s: S[0] },
    { operationName: 'Other' },
  ),
  known(
    'a misspelt enum in variables',
    `query K($p: UserStatusPath, $c: ID!, $s: ID!) { deviceConfigurationUserStatus(path: $p, deviceConfigurationId: $c, userStatusId: $s) { id } }`,
    { p: 'DEVICE_CONFIGURATIO', c: C, s: S[0] },
  ),
  known('a required variable left out', `query K($c: ID!, $s: ID!) { ${READ} { id } }`, { c: C }),
  known(
    'without a token',
    `query K($c: ID!, $s: ID!) { ${READ} { id } }`,
    { c: C, s: S[0] },
    { token: false },
  ),
  ...['an update', 'a bulk update'].map((what) =>
    known(
      `${what} with an optional variable left out inside its input literal`,
      what === 'an update'
        ? `mutation K($status: ComplianceStatus, $name: String) { updateDeviceConfigurationUserStatus(input: { deviceConfigurationId: "${C}", userStatusId: "${S[0]}", status: $status, userDisplayName: $name }) { userStatus { status userDisplayName } requestId clientRequestId } }`
        : `mutation K($status: ComplianceStatus, $name: String) { updateDeviceConfigurationUserStatuses(inputs: [{ deviceConfigurationId: "${C}", userStatusId: "${S[0]}", status: $status, userDisplayName: $name }]) { userStatus { userDisplayName } error { code message } } }`,
      { name: 'n0' },
    ),
  ),
  known(
    'a mutation whose non-null root field fails runs no later field',
    `mutation K($list: [UpdateDeviceConfigurationUserStatusInput!]!, $c: ID!, $s: ID!) {
       bulk: updateDeviceConfigurationUserStatuses(inputs: $list) { error { code } }
       del: deleteDeviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) { deletedId } }`,
    {
      c: C,
      s: S[0],
      list: [
        { deviceConfigurationId: C, userStatusId: S[1], devicesCount: 1 },
        { deviceConfigurationId: C, userStatusId: S[1], devicesCount: 2 },
      ],
    },
  ),
  known(
    'a mutation input the resolvers refuse',
    `mutation K($input: UpdateDeviceConfigurationUserStatusInput!) { updateDeviceConfigurationUserStatus(input: $input) { requestId } }`,
    { input: { deviceConfigurationId: C, userStatusId: 'a/b', status: 'COMPLIANT' } },
  ),
  known(
    '@include(if: $x) with $x: Boolean = true sent as null',
    'query K($x: Boolean = true) { __typename @include(if: $x) }',
    { x: null },
    { nullRequired: ['x'] },
  ),
  known(
    '$x: ID = "a" sent as null for a required id',
    `query K($x: ID = "a") { deviceConfigurationUserStatus(deviceConfigurationId: $x, userStatusId: "${S[0]}") { id } }`,
    { x: null },
    { nullRequired: ['x'] },
  ),
  known(
    'the introspection query',
    getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      inputValueDeprecation: true,
    }),
    {},
  ),
];
