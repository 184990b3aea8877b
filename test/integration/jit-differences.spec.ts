import { configurationId, userStatusId } from '../../emulator/store';
import {
  AUTH,
  COMPILING_ENV,
  compileOutcomes,
  normalisedAnswer,
  startHarness,
} from '../helpers/harness';
import type { GraphQLRequestOptions, GraphQLResponse, Harness } from '../helpers/harness';

// Where graphql-jit 0.8 answered differently from graphql-js, or cost too much to compile, found by sending the same
// request before and after its document was compiled (GRAPHQL_COMPILE_AFTER=1: the first run is on graphql-js, the
// next ones compiled). Each now runs on graphql-js every time (src/graphql/jit-eligibility.ts) and answers the same.
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
const s1 = userStatusId('windows10-general', 1);

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ env: COMPILING_ENV });
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

// An operationName that names no operation of the document: Apollo resolves no operation (requestContext.operation
// is undefined, operationName null) and graphql-js answers "Unknown operation named …" (400). The compiled
// executor keyed that request as `queryHash + ''`, the key of the document's anonymous (or only) operation, and
// compiled with `operationName` undefined: graphql-jit then ran the document's only operation. Apollo, seeing a
// result without errors for an unresolved operation, threw: 500. A mutation had run by then, and over GET Apollo's
// "GET requests only support query operations" check (made on the resolved operation) never applied. Now such a
// request is never compiled.

describe('an operationName that names no operation, once the document is compiled', () => {
  it('a query: 400 OPERATION_RESOLUTION_FAILURE every time (not 500)', async () => {
    const answers = [];
    for (let round = 0; round < 3; round += 1)
      answers.push(await harness.gateway.send({ query: '{ __typename }', operationName: 'X' }));
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('OPERATION_RESOLUTION_FAILURE');
    }
  });

  it('a mutation over POST is never sent to Graph', async () => {
    const mutation = /* GraphQL */ `
      mutation M($i: UpdateDeviceConfigurationUserStatusInput!) {
        updateDeviceConfigurationUserStatus(input: $i) {
          requestId
        }
      }
    `;
    const variables = { i: { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' } };
    for (let round = 0; round < 3; round += 1) {
      const answer = await harness.gateway.send({
        query: mutation,
        variables,
        operationName: 'X',
        headers: AUTH,
      });
      expect(answer.status).toBe(400);
    }
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('a mutation over GET is never sent to Graph', async () => {
    const mutation = `mutation M { deleteDeviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "${s}") { deletedId } }`;
    const url = `${harness.gateway.url}?query=${encodeURIComponent(mutation)}&operationName=X`;
    const statuses = [];
    for (let round = 0; round < 3; round += 1) {
      const response = await fetch(url, {
        headers: { ...AUTH, 'apollo-require-preflight': 'true' },
      });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(harness.emulator.requests.map((request) => request.method)).toEqual([]);
    expect(statuses).toEqual([400, 400, 400]);
  });
});

// An input object written in the document with a field bound to an optional variable the request leaves out:
// graphql-js leaves the field out (GraphQL spec, "Coercing Input Objects": a variable with no runtime value and no
// default means the field is absent), and the update changes only the other fields. graphql-jit passes the field
// as present-and-null, which this gateway refuses ("input.status cannot be null"): the same request succeeds on its
// first runs and fails with BAD_USER_INPUT once compiled. A common client pattern (optional fields as variables).

describe('an optional variable left out inside an input object literal, compiled', () => {
  it.each([
    [
      'an update',
      `mutation U($status: ComplianceStatus, $name: String) {
        updateDeviceConfigurationUserStatus(
          input: { deviceConfigurationId: "${c}", userStatusId: "${s}", status: $status, userDisplayName: $name }
        ) { userStatus { userDisplayName } }
      }`,
    ],
    [
      'a bulk update',
      `mutation B($status: ComplianceStatus, $name: String) {
        updateDeviceConfigurationUserStatuses(
          inputs: [{ deviceConfigurationId: "${c}", userStatusId: "${s}", status: $status, userDisplayName: $name }]
        ) { userStatus { userDisplayName } error { code message } }
      }`,
    ],
  ])('%s: the field left out each time, and the update sent each time', async (_name, query) => {
    const answers: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      const answer = await harness.gateway.send({
        query,
        variables: { name: `n${round}` },
        headers: AUTH,
      });
      answers.push(JSON.stringify(answer.body));
    }
    expect(answers).toEqual([
      expect.stringContaining('"userDisplayName":"n0"'),
      expect.stringContaining('"userDisplayName":"n1"'),
      expect.stringContaining('"userDisplayName":"n2"'),
    ]);
    expect(answers.join('')).not.toContain('BAD_USER_INPUT');
  });
});

// graphql-jit builds each object of a result as an object literal keyed by response name: an alias `__proto__`
// sets the object's prototype instead of a property, so the field vanishes from the compiled answer (or, where the
// value is filled in later, moves to the end). graphql-js answers it in place, as the spec requires.

describe('an alias named __proto__, compiled', () => {
  it.each<[string, GraphQLRequestOptions]>([
    ['at the root', { query: '{ __proto__: __typename a: __typename }' }],
    [
      'on a user status, a plain property (dropped when compiled)',
      {
        query: `query P0($c: ID!, $s: ID!) { u: deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) { __proto__: id status } }`,
        variables: { c, s },
      },
    ],
    [
      'on a user status, a resolved field (moved last when compiled)',
      {
        query: `query P($c: ID!, $s: ID!) { u: deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) { __proto__: status id } }`,
        variables: { c, s },
      },
    ],
    ['in introspection', { query: '{ __type(name: "PageInfo") { __proto__: name kind } }' }],
  ])('%s: the same answer, in the same order, every time', async (_name, request) => {
    const answers: string[] = [];
    for (let round = 0; round < 3; round += 1)
      answers.push(
        JSON.stringify((await harness.gateway.send({ ...request, headers: AUTH })).body),
      );
    expect(answers[0]).toContain('"__proto__"');
    expect(answers[1]).toBe(answers[0]);
    expect(answers[2]).toBe(answers[0]);
  });
});

// `@include(if: $x)` / `@skip(if: $x)` with `$x: Boolean = true` sent as an explicit null: graphql-js fails the
// operation (the directive's `if: Boolean!` must not be null; data null and an error, today masked as an internal
// error), graphql-jit reads null as false and answers data. Same request, different answers by run count.
describe('@include / @skip given a null variable, compiled', () => {
  it.each(['include', 'skip'])('@%s(if: null): the same answer every time', async (directive) => {
    const request = {
      query: `query Q($x: Boolean = true) { __typename @${directive}(if: $x) }`,
      variables: { x: null },
    };
    const answers: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      const answer = await harness.gateway.send(request);
      answers.push(`${answer.status} ${JSON.stringify(answer.body)}`);
    }
    expect(answers[1]).toBe(answers[0]);
    expect(answers[2]).toBe(answers[0]);
  });
});

// A variable with a default (`$x: ID = "a"`, allowed where `ID!` is expected) sent as an explicit null: graphql-js
// fails the field ("Argument … must not be null", masked as an internal error) with the field's `path` and
// `locations`; graphql-jit's error for it has neither, so the masked error no longer says which field failed.
describe('an argument error raised by graphql-jit itself, compiled', () => {
  it('keeps its path and locations', async () => {
    const request = {
      query: `query N($x: ID = "a") { deviceConfigurationUserStatus(deviceConfigurationId: $x, userStatusId: "s") { id } }`,
      variables: { x: null },
      headers: AUTH,
    };
    const answers: string[] = [];
    for (let round = 0; round < 3; round += 1)
      answers.push(JSON.stringify((await harness.gateway.send(request)).body));
    expect(answers[0]).toContain('"path":["deviceConfigurationUserStatus"]');
    expect(answers[1]).toBe(answers[0]);
    expect(answers[2]).toBe(answers[0]);
  });
});

// A document the query limits let through can still be costly to compile: the limits count fields, aliases and
// depth, not variable definitions. 900 `UpdateDeviceConfigurationUserStatusInput!` variables in one list literal of
// one field fit in 50,000 characters; graphql-jit took about 0.5 s to compile it and kept about 19 MB (found by the
// review of the compiled executor). Sent without variables, each request fails variable coercion (400) and never
// reaches Graph: cheap for a client, so it must never be compiled. /metrics says what became of each document.

function manyVariables(count: number): string {
  const names = Array.from({ length: count }, (_, index) => `$v${index.toString(36)}`);
  const definitions = names.map((name) => `${name}:UpdateDeviceConfigurationUserStatusInput!`);
  return `mutation(${definitions.join(',')}){updateDeviceConfigurationUserStatuses(inputs:[${names.join(',')}]){error{code}}}`;
}

describe('what the compiled executor compiles', () => {
  it('never a document with 900 variables: 400 each time, Graph never called, refused once', async () => {
    const query = manyVariables(900);
    expect(query.length).toBeLessThan(50_000);
    const before = (await compileOutcomes(harness))['too-long'] ?? 0;
    for (let round = 0; round < 3; round += 1) {
      const answer = await harness.gateway.send({ query });
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(harness.emulator.requests).toHaveLength(0);
    expect((await compileOutcomes(harness))['too-long']).toBe(before + 1);
  });

  it.each([
    // [why, document]
    ['too-many-variables', manyVariables(11)],
    ['nullable-default', 'query Cost($y: Boolean = false) { __typename @skip(if: $y) }'],
    ['proto-key', '{ __proto__: __typename }'],
    ['several-root-fields', '{ one: __typename two: __typename }'],
    ['introspection', '{ __schema { queryType { name } } }'],
  ])('%s: refused once, the answer the same each time', async (outcome, query) => {
    const before = (await compileOutcomes(harness))[outcome] ?? 0;
    const answers = new Set<string>();
    for (let round = 0; round < 3; round += 1)
      answers.add(JSON.stringify((await harness.gateway.send({ query })).body));
    expect(answers.size).toBe(1);
    expect((await compileOutcomes(harness))[outcome]).toBe(before + 1);
  });

  it('a small document in steady use is compiled, once', async () => {
    const before = (await compileOutcomes(harness)).compiled ?? 0;
    for (let round = 0; round < 4; round += 1)
      expect((await harness.gateway.send({ query: '{ steady: __typename }' })).body).toEqual({
        data: { steady: 'Query' },
      });
    expect((await compileOutcomes(harness)).compiled).toBe(before + 1);
  });
});

/** Each round: Graph reset, the request, a moment for stray Graph calls, then the answer and what Graph saw. */
async function threeRounds(request: GraphQLRequestOptions) {
  const rounds: Array<{ answer: string; graph: string[] }> = [];
  for (let round = 0; round < 3; round += 1) {
    harness.emulator.reset();
    const answer = await harness.gateway.send({ ...request, headers: AUTH });
    // A stray call would have left before the answer: on loopback it reaches the emulator within a few ms.
    await new Promise((resolve) => setTimeout(resolve, 25));
    rounds.push({
      answer: normalisedAnswer(answer),
      graph: harness.emulator.requests.map((call) => `${call.method} ${call.url}`),
    });
  }
  return rounds;
}

// graphql-js runs a mutation's root fields one after the other and stops at the first error that reaches the root
// (a non-null field's error nulls `data`; GraphQL spec, "Normal and Serial Execution"). graphql-jit's serial queue
// runs every queued mutation field whatever happened before: the delete below reaches Graph, yet the answer is
// `data: null` with only the bulk field's error, so the client believes nothing ran.
describe('a mutation whose non-null root field fails, compiled', () => {
  it('runs no later mutation field (graphql-js sends Graph nothing; compiled, the DELETE went out)', async () => {
    const rounds = await threeRounds({
      query: /* GraphQL */ `
        mutation M($list: [UpdateDeviceConfigurationUserStatusInput!]!, $c: ID!, $s: ID!) {
          bulk: updateDeviceConfigurationUserStatuses(inputs: $list) {
            error {
              code
            }
          }
          del: deleteDeviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) {
            deletedId
          }
        }
      `,
      // The same user status twice: the bulk field refuses it before sending anything (BAD_USER_INPUT).
      variables: {
        c,
        s,
        list: [
          { deviceConfigurationId: c, userStatusId: s1, devicesCount: 1 },
          { deviceConfigurationId: c, userStatusId: s1, devicesCount: 2 },
        ],
      },
    });
    expect(JSON.parse(rounds[0]!.answer)).toMatchObject({ body: { data: null } });
    expect(rounds.map((round) => round.graph)).toEqual([[], [], []]);
    expect(rounds[1]!.answer).toBe(rounds[0]!.answer);
    expect(rounds[2]!.answer).toBe(rounds[0]!.answer);
  });
});

// A query whose non-null root field fails: graphql-js gives up on the operation there (the sibling fields not yet
// resolved are never resolved, or their results are dropped), answers `data: null` with that one error, and Graph
// is not called for the siblings. graphql-jit resolves every root field anyway, waits for Graph, and adds the
// siblings' errors: the same request costs Graph calls (and Intune quota) and answers differently once compiled.
describe('a query whose non-null root field fails, compiled', () => {
  it.each([
    ['the failing field last', 'a', 'd'],
    ['the failing field first', 'd', 'a'],
  ])('%s: the same errors, and no Graph call for the siblings', async (_name, first, second) => {
    const fields: Record<string, string> = {
      a: 'a: deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: "nope") { id }',
      d: 'd: deviceConfigurationUserStatuses(deviceConfigurationId: $c, first: 0) { nodes { id } }',
    };
    const rounds = await threeRounds({
      query: `query Q($c: ID!) { ${fields[first]} ${fields[second]} }`,
      variables: { c },
    });
    expect((JSON.parse(rounds[0]!.answer) as GraphQLResponse).body.errors).toHaveLength(1);
    expect(rounds.map((round) => round.graph)).toEqual([[], [], []]);
    expect(rounds[1]!.answer).toBe(rounds[0]!.answer);
    expect(rounds[2]!.answer).toBe(rounds[0]!.answer);
  });
});
