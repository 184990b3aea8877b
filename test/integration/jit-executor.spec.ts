import { configurationId, userStatusId } from '../../emulator/store';
import {
  AUTH,
  COMPILING_ENV,
  GET_QUERY,
  UPDATE_MUTATION,
  compileOutcomes,
  normalisedAnswer,
  startHarness,
} from '../helpers/harness';
import type { GraphQLRequestOptions, GraphQLResponse, Harness } from '../helpers/harness';

// A document runs on graphql-js the first time and compiled (graphql-jit) from the second time on: each case is
// sent twice (then a third time, compiled and cached), and the answers must be the same, byte for byte but for the
// ids and dates Graph gives each call.
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);

async function sameEachTime(harness: Harness, request: GraphQLRequestOptions) {
  const answers: GraphQLResponse[] = [];
  for (let round = 0; round < 3; round += 1) answers.push(await harness.gateway.send(request));
  expect(normalisedAnswer(answers[1]!)).toBe(normalisedAnswer(answers[0]!));
  expect(normalisedAnswer(answers[2]!)).toBe(normalisedAnswer(answers[0]!));
  return answers[0]!;
}

describe('the compiled executor answers as graphql-js does', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ env: COMPILING_ENV });
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.emulator.reset());

  const PARTIAL = /* GraphQL */ `
    query Partial($c: ID!, $s: ID!) {
      found: deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) {
        id
        status
        __typename
      }
      missing: deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: "nope") {
        ...Fields
      }
    }
    fragment Fields on DeviceConfigurationUserStatus {
      id
      userDisplayName
    }
  `;

  it.each<[string, GraphQLRequestOptions, number, string | null]>([
    ['a read', { query: GET_QUERY, variables: { c, s } }, 200, null],
    [
      'partial data: one alias found, one NOT_FOUND with its path',
      { query: PARTIAL, variables: { c, s } },
      200,
      'NOT_FOUND',
    ],
    [
      'a misspelt enum in variables: 400 BAD_USER_INPUT',
      { query: GET_QUERY, variables: { path: 'DEVICE_CONFIGURATIO', c, s } },
      400,
      'BAD_USER_INPUT',
    ],
    [
      'a missing required variable: 400 BAD_USER_INPUT',
      { query: GET_QUERY, variables: { c } },
      400,
      'BAD_USER_INPUT',
    ],
    [
      'a mutation whose input the resolver refuses',
      {
        query: UPDATE_MUTATION,
        variables: {
          input: { deviceConfigurationId: c, userStatusId: 'a/b', status: 'COMPLIANT' },
        },
      },
      200,
      'BAD_USER_INPUT',
    ],
    [
      'two operations in one document, the second chosen by name',
      { query: `${PARTIAL}\nquery Other { __typename }`, variables: {}, operationName: 'Other' },
      200,
      null,
    ],
  ])('%s', async (_name, request, status, code) => {
    const answer = await sameEachTime(harness, { ...request, headers: AUTH });
    expect(answer.status).toBe(status);
    expect(answer.body.errors?.[0]?.extensions?.code ?? null).toBe(code);
    if (code === 'NOT_FOUND') {
      expect(answer.body.data).toMatchObject({
        found: { id: s, __typename: 'DeviceConfigurationUserStatus' },
        missing: null,
      });
      expect(answer.body.errors?.[0]?.path).toEqual(['missing']);
    }
  });

  it('ran every document above compiled but the one with two root fields', async () => {
    // GET_QUERY, UPDATE_MUTATION and the `Other` operation compiled; PARTIAL refused (a root field's failure must
    // not let its siblings run, docs/hardening.md): it answered the same on graphql-js each time.
    expect(await compileOutcomes(harness)).toEqual({ compiled: 3, 'several-root-fields': 1 });
  });

  it('a Graph failure on the compiled path keeps its code, path and Graph details', async () => {
    const update = { input: { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' } };
    for (let round = 0; round < 3; round += 1)
      harness.emulator.faults.add({ method: 'PATCH', status: 503 });
    const answer = await sameEachTime(harness, {
      query: UPDATE_MUTATION,
      variables: update,
      headers: AUTH,
    });
    expect(answer.body.errors?.[0]).toMatchObject({
      path: ['updateDeviceConfigurationUserStatus'],
      extensions: { code: 'UPSTREAM_ERROR', graph: { status: 503 } },
    });
    expect(harness.emulator.requests).toHaveLength(3);
  });

  it('without a token: UNAUTHENTICATED each time, and Graph is never called', async () => {
    const answer = await sameEachTime(harness, { query: GET_QUERY, variables: { c, s } });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(harness.emulator.requests).toHaveLength(0);
  });
});

describe('the compiled executor with federation on', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ env: { FEDERATION: 'true', GRAPHQL_COMPILE_AFTER: '1' } });
  });
  afterAll(() => harness.close());

  it('_service { sdl } reads the same compiled', async () => {
    const answer = await sameEachTime(harness, { query: '{ _service { sdl } }' });
    expect((answer.body.data?._service as { sdl: string }).sdl).toContain('@link');
  });
});

describe('with compiling off (GRAPHQL_COMPILE_AFTER=0)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ env: { GRAPHQL_COMPILE_AFTER: '0', GRAPH_QUOTAS: 'off' } });
  });
  afterAll(() => harness.close());

  it('answers a read many times over from the schema Apollo runs itself', async () => {
    const answer = await sameEachTime(harness, {
      query: GET_QUERY,
      variables: { c, s },
      headers: AUTH,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.data?.deviceConfigurationUserStatus).toMatchObject({ id: s });
    expect(harness.emulator.requests).toHaveLength(3);
  });
});
