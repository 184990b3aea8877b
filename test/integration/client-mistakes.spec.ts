import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, startHarness } from '../helpers/harness';
import type { GraphQLRequestOptions, Harness } from '../helpers/harness';

// Every mistake in the request itself (its variables, directive arguments, operation type, operation name) is a
// client error: a client code, HTTP 400 before anything runs, and no call to Graph. Apollo Server 5 answers request
// errors 400 whichever of application/json and application/graphql-response+json the client accepts (only the
// Content-Type follows the Accept header; http-spec.spec.ts lists the SHOULD it departs from); the gateway's own
// refusals do the same. Each request carries a token: nothing but the mistake stops it from reaching Graph.
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ env: { GRAPH_QUOTAS: 'off', GRAPH_MAX_RETRIES: '0' } });
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

const READ = `deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s)`;
const BULK = `updateDeviceConfigurationUserStatuses(inputs: $inputs) { error { code } }`;
const input = { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' };

type Case = readonly [name: string, request: GraphQLRequestOptions, code: string, message: string];

const CASES: readonly Case[] = [
  [
    'null for a variable used in @include(if:), the field under a read of Graph',
    {
      query: `query Q($b: Boolean = true, $c: ID!, $s: ID!) { ${READ} { id status @include(if: $b) } }`,
      variables: { b: null, c, s },
    },
    'BAD_USER_INPUT',
    'Variable "$b" must not be null: the document uses it where a value of type "Boolean!" is required.',
  ],
  [
    'null for a variable used in @skip(if:) inside a fragment',
    {
      query: `query Q($b: Boolean = false, $c: ID!, $s: ID!) { ${READ} { ...F } } fragment F on DeviceConfigurationUserStatus { id @skip(if: $b) }`,
      variables: { b: null, c, s },
    },
    'BAD_USER_INPUT',
    'Variable "$b" must not be null: the document uses it where a value of type "Boolean!" is required.',
  ],
  [
    'a variable whose own default is null, left out, given to path (which has a default of its own)',
    {
      query: `query Q($p: UserStatusPath = null, $c: ID!, $s: ID!) { deviceConfigurationUserStatus(path: $p, deviceConfigurationId: $c, userStatusId: $s) { id } }`,
      variables: { c, s },
    },
    'BAD_USER_INPUT',
    'Variable "$p" must not be null: the document uses it where a value of type "UserStatusPath!" is required.',
  ],
  [
    'null for a defaulted variable used as a required id',
    {
      query: `query Q($c: ID = "${c}", $s: ID!) { ${READ} { id } }`,
      variables: { c: null, s },
    },
    'BAD_USER_INPUT',
    'Variable "$c" must not be null: the document uses it where a value of type "ID!" is required.',
  ],
  [
    'null for a nullable variable given to path (UserStatusPath! = DEVICE_CONFIGURATION)',
    {
      query: `mutation D($p: UserStatusPath, $c: ID!, $s: ID!) { deleteDeviceConfigurationUserStatus(path: $p, deviceConfigurationId: $c, userStatusId: $s) { deletedId } }`,
      variables: { p: null, c, s },
    },
    'BAD_USER_INPUT',
    'Variable "$p" must not be null: the document uses it where a value of type "UserStatusPath!" is required.',
  ],
  [
    'a directive argument of the wrong type, written in the document',
    {
      query: `query Q($c: ID!, $s: ID!) { ${READ} { id @include(if: "yes") } }`,
      variables: { c, s },
    },
    'GRAPHQL_VALIDATION_FAILED',
    'Boolean cannot represent a non boolean value: "yes"',
  ],
  [
    'a directive without its required argument',
    { query: `query Q($c: ID!, $s: ID!) { ${READ} { id @skip } }`, variables: { c, s } },
    'GRAPHQL_VALIDATION_FAILED',
    'Directive "@skip" argument "if" of type "Boolean!" is required, but it was not provided.',
  ],
  [
    'a directive argument bound to a variable of another type',
    {
      query: `query Q($b: String, $c: ID!, $s: ID!) { ${READ} { id @include(if: $b) } }`,
      variables: { b: 'yes', c, s },
    },
    'GRAPHQL_VALIDATION_FAILED',
    'Variable "$b" of type "String" used in position expecting type "Boolean!".',
  ],
  [
    'a directive argument variable given a value of the wrong type',
    {
      query: `query Q($b: Boolean!, $c: ID!, $s: ID!) { ${READ} { id @include(if: $b) } }`,
      variables: { b: 'yes', c, s },
    },
    'BAD_USER_INPUT',
    'Variable "$b" got invalid value "yes"; Boolean cannot represent a non boolean value: "yes"',
  ],
  [
    'a directive this schema does not know',
    { query: `query Q($c: ID!, $s: ID!) { ${READ} { id @cached } }`, variables: { c, s } },
    'GRAPHQL_VALIDATION_FAILED',
    'Unknown directive "@cached".',
  ],
  [
    'a subscription',
    { query: 'subscription { __typename }' },
    'GRAPHQL_VALIDATION_FAILED',
    'This gateway serves queries and mutations only: subscriptions are not supported.',
  ],
  [
    'an operation name the document does not define (a mutation)',
    {
      query: `mutation M($c: ID!, $s: ID!) { deleteDeviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) { deletedId } }`,
      variables: { c, s },
      operationName: 'X',
    },
    'OPERATION_RESOLUTION_FAILURE',
    'Unknown operation named "X".',
  ],
  [
    'several operations and no operation name',
    {
      query: `query A($c: ID!, $s: ID!) { ${READ} { id } } query B { __typename }`,
      variables: { c, s },
    },
    'OPERATION_RESOLUTION_FAILURE',
    'Must provide operation name if query contains multiple operations.',
  ],
  [
    'a variable of the wrong type',
    { query: `query Q($c: ID!, $s: ID!) { ${READ} { id } }`, variables: { c: { id: c }, s } },
    'BAD_USER_INPUT',
    'Variable "$c" got invalid value { id: "' +
      c +
      '" }; ID cannot represent value: { id: "' +
      c +
      '" }',
  ],
  [
    'a required variable left out',
    { query: `query Q($c: ID!, $s: ID!) { ${READ} { id } }`, variables: { c } },
    'BAD_USER_INPUT',
    'Variable "$s" of required type "ID!" was not provided.',
  ],
  [
    'a list given a single value that is not an item',
    {
      query: `mutation B($inputs: [UpdateDeviceConfigurationUserStatusInput!]!) { ${BULK} }`,
      variables: { inputs: 'COMPLIANT' },
    },
    'BAD_USER_INPUT',
    'Variable "$inputs" got invalid value "COMPLIANT"; Expected type "UpdateDeviceConfigurationUserStatusInput" to be an object.',
  ],
  [
    'a list given a single null item',
    {
      query: `mutation B($inputs: [UpdateDeviceConfigurationUserStatusInput!]!) { ${BULK} }`,
      variables: { inputs: [input, null] },
    },
    'BAD_USER_INPUT',
    'Variable "$inputs" got invalid value null at "inputs[1]"; Expected non-nullable type "UpdateDeviceConfigurationUserStatusInput!" not to be null.',
  ],
];

describe('client mistakes are client errors, and nothing reaches Graph', () => {
  it.each(
    CASES.flatMap(([name, request, code, message]) =>
      ['application/json', 'application/graphql-response+json'].map(
        (accept) => [name, accept, request, code, message] as const,
      ),
    ),
  )('%s (Accept: %s)', async (_name, accept, request, code, message) => {
    const { headers: _none, ...body } = request;
    const response = await fetch(harness.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, ...AUTH },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as { data?: unknown; errors?: unknown[] };
    expect([response.status, response.headers.get('content-type')]).toEqual([
      400,
      `${accept}; charset=utf-8`,
    ]);
    expect(answer).not.toHaveProperty('data');
    expect(answer.errors).toEqual([expect.objectContaining({ message, extensions: { code } })]);
    expect(harness.emulator.requests).toEqual([]);
  });
});

describe('a list given a single value that is an item', () => {
  // Not a mistake: GraphQL coerces a single value into a list of one ("Input Coercion" of List types), as graphql-js
  // does; the differential test compares such answers with graphql-js's.
  it('runs the bulk update with that one input', async () => {
    const { status, body } = await harness.gateway.send({
      query: `mutation B($inputs: [UpdateDeviceConfigurationUserStatusInput!]!) { ${BULK} }`,
      variables: { inputs: input },
      headers: AUTH,
    });
    expect([status, body]).toEqual([
      200,
      { data: { updateDeviceConfigurationUserStatuses: [{ error: null }] } },
    ]);
    expect(harness.emulator.requests).toHaveLength(1);
  });
});

describe('an operation name the document does not define, over GET', () => {
  it('answers 400 and sends Graph nothing, even for a mutation', async () => {
    const mutation = `mutation M { deleteDeviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "${s}") { deletedId } }`;
    const response = await fetch(
      `${harness.gateway.url}?query=${encodeURIComponent(mutation)}&operationName=X`,
      { headers: { ...AUTH, 'apollo-require-preflight': 'true' } },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [
        {
          message: 'Unknown operation named "X".',
          extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
        },
      ],
    });
    expect(harness.emulator.requests).toEqual([]);
  });
});
