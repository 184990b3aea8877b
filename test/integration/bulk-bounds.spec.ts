import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, startHarness } from '../helpers/harness';
import type { GraphQLResponse, Harness } from '../helpers/harness';

/**
 * MAX_BULK_INPUTS bounds what one operation sends to Graph in bulk, whatever the document's shape: the inputs of
 * every `updateDeviceConfigurationUserStatuses` (aliases and fragments included) and the representations of
 * `_entities`, counted together. An operation over it is refused before anything executes, naming the setting, and
 * Graph is never called. Before, the bound held per field: 50 aliases of 100 inputs were 5,000 writes.
 */
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
/** Served operations write 150 user statuses in a few ms: no quota in the way, on either side. */
const UNPACED = { env: { GRAPH_QUOTAS: 'off' }, emulator: { quotas: { enabled: false } } };
const BULK_TYPE = '[UpdateDeviceConfigurationUserStatusInput!]!';
const RESULT = '{ error { code } }';

const inputs = (count: number) =>
  Array.from({ length: count }, (_, index) => ({
    deviceConfigurationId: c,
    userStatusId: `user-${index}`,
    status: 'COMPLIANT',
  }));

/** One mutation with an alias of the bulk update for each variable. */
function aliased(count: number, variable = (index: number) => `$i${index}`): string {
  const names = [...new Set(Array.from({ length: count }, (_, index) => variable(index)))];
  const declared = names.map((name) => `${name}: ${BULK_TYPE}`).join(', ');
  const fields = Array.from(
    { length: count },
    (_, index) =>
      `a${index}: updateDeviceConfigurationUserStatuses(inputs: ${variable(index)}) ${RESULT}`,
  );
  return `mutation Many(${declared}) { ${fields.join('\n')} }`;
}

const refusal = (count: number) => ({
  message: `The operation sends ${count} items to Graph in bulk (the inputs of every updateDeviceConfigurationUserStatuses and the representations of _entities, aliases and fragments included); at most 100 are allowed (MAX_BULK_INPUTS).`,
  extensions: { code: 'BAD_USER_INPUT', limit: 'MAX_BULK_INPUTS' },
});

function expectRefused(answer: GraphQLResponse, count: number, status = 400) {
  expect(answer.status).toBe(status);
  expect(answer.body.data).toBeUndefined();
  expect(answer.body.errors).toEqual([refusal(count)]);
}

describe('the bulk mutation, counted across the operation', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(UNPACED);
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.emulator.reset());

  it('50 aliases of 100 inputs each (5,000 writes) → BAD_USER_INPUT naming MAX_BULK_INPUTS, Graph never called', async () => {
    const answer = await harness.gateway.gql(
      aliased(50, () => '$all'),
      { all: inputs(100) },
      AUTH,
    );
    expectRefused(answer, 5_000);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('two aliases of 60 → refused; the same in fragments, on inline literals → refused', async () => {
    const two = await harness.gateway.gql(aliased(2), { i0: inputs(60), i1: inputs(60) }, AUTH);
    expectRefused(two, 120);
    const literal = (count: number) =>
      `[${inputs(count)
        .map(
          (input) =>
            `{ deviceConfigurationId: "${c}", userStatusId: "${input.userStatusId}", status: COMPLIANT }`,
        )
        .join(', ')}]`;
    const fragments = `mutation { ...A ... on Mutation { b: updateDeviceConfigurationUserStatuses(inputs: ${literal(41)}) ${RESULT} } }
      fragment A on Mutation { a: updateDeviceConfigurationUserStatuses(inputs: ${literal(60)}) ${RESULT} }`;
    expectRefused(await harness.gateway.gql(fragments, undefined, AUTH), 101);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('100 inputs across two aliases are served; a skipped alias does not count (50 + 60 skipped)', async () => {
    const split = await harness.gateway.gql(aliased(2), { i0: inputs(50), i1: inputs(50) }, AUTH);
    expect([split.status, split.body.errors]).toEqual([200, undefined]);
    const skipped = aliased(2).replace('(inputs: $i1)', '(inputs: $i1) @skip(if: true)');
    const answer = await harness.gateway.gql(skipped, { i0: inputs(50), i1: inputs(60) }, AUTH);
    expect([answer.status, answer.body.errors]).toEqual([200, undefined]);
    expect(Object.keys(answer.body.data ?? {})).toEqual(['a0']);
  });
});

describe('_entities, counted and checked before Graph (FEDERATION=true)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ ...UNPACED, env: { ...UNPACED.env, FEDERATION: 'true' } });
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.emulator.reset());

  const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on DeviceConfigurationUserStatus { id } } }`;
  const typename = { __typename: 'DeviceConfigurationUserStatus' };
  const good = { ...typename, path: 'DEVICE_CONFIGURATION', deviceConfigurationId: c, id: s };
  const many = (count: number) =>
    Array.from({ length: count }, (_, index) => ({ ...good, id: `user-${index}` }));

  it('101 representations → BAD_USER_INPUT naming MAX_BULK_INPUTS (HTTP 200 for a router), Graph never called', async () => {
    expectRefused(await harness.gateway.gql(ENTITIES, { r: many(101) }, AUTH), 101, 200);
    const accepted = { ...AUTH, accept: 'application/graphql-response+json' };
    // 1,000 (5,000 JSON values): far more, yet within the body's bound on values (src/server/json-bounds.ts).
    expectRefused(await harness.gateway.gql(ENTITIES, { r: many(1_000) }, accepted), 1_000);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('100 representations are served', async () => {
    const { body } = await harness.gateway.gql(ENTITIES, { r: many(100) }, AUTH);
    expect((body.data?._entities as unknown[]).length).toBe(100);
    expect(harness.emulator.requests.length).toBeGreaterThan(0);
  });

  it('a reference with a missing, ill-typed or bad key field fails alone with BAD_USER_INPUT; only the good one reaches Graph', async () => {
    const { id: _id, ...withoutId } = good;
    const bad = [withoutId, { ...good, id: 5 }, { ...good, path: 'BOGUS' }, { ...good, id: 'a/b' }];
    const { body } = await harness.gateway.gql(ENTITIES, { r: [good, ...bad] }, AUTH);
    expect(body.data).toEqual({ _entities: [{ id: s }, null, null, null, null] });
    expect(body.errors?.map((error) => [error.path, error.extensions?.code])).toEqual(
      bad.map((_, index) => [['_entities', index + 1], 'BAD_USER_INPUT']),
    );
    expect(harness.emulator.requests.map((request) => request.url)).toEqual([
      expect.stringContaining(`/userStatuses/${s}`) as unknown,
    ]);
  });

  it.each<[string, unknown]>([
    ['no __typename', { path: 'DEVICE_CONFIGURATION', deviceConfigurationId: c, id: s }],
    ['a type that is no entity', { ...good, __typename: 'PageInfo' }],
    ['an unknown type', { ...good, __typename: 'Nope' }],
    ['not an object', 'DeviceConfigurationUserStatus'],
  ])(
    'a representation with %s → BAD_USER_INPUT naming its index, Graph never called',
    async (_what, representation) => {
      const { body } = await harness.gateway.gql(ENTITIES, { r: [good, representation] }, AUTH);
      expect(body.data).toBeUndefined();
      expect(body.errors).toEqual([
        {
          message:
            'representations[1] must be an object whose __typename names an entity of this subgraph: "DeviceConfigurationUserStatus".',
          extensions: { code: 'BAD_USER_INPUT', argument: 'representations', index: 1 },
        },
      ]);
      expect(harness.emulator.requests).toHaveLength(0);
    },
  );
});
