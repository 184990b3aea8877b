import { randomUUID } from 'node:crypto';
import { buildSchema } from 'graphql';
import type { GraphQLScalarType } from 'graphql';
import { loadConfig } from '../../src/config';
import { loadTypeDefs, schemaDefinition } from '../../src/graphql/apollo';
import { buildSubgraph } from '../../src/graphql/federation';
import { KNOWN } from '../helpers/differential-known';
import type { Feature, GeneratedRequest } from '../helpers/differential';
import { generateMutation, generateQuery } from '../helpers/differential-documents';
import { AUTH, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';
import { createReference } from '../helpers/reference';
import type { Reference, ReferenceAnswer, Stage } from '../helpers/reference';

// The gateway's answers are graphql-js's, whatever the document and however often it runs: each request goes
// through the real gateway over HTTP RUNS times, and every answer is compared with graphql-js executing the same
// schema and resolvers in this process (test/helpers/reference.ts), against the same emulator reset to the same state before each run.
// The comparison is of the whole answer text, byte for byte, once Graph's per-call `requestId`, `clientRequestId`
// (each item of a $batch has its own) and `date` values are masked and, when there are several errors, the errors are put in path order (graphql-js lists field errors in
// the order they happen, which for separate Graph calls is the order Graph answers in).
//
// One designed difference: a variable that is null where the document requires a value (allowed by a default) is
// refused before execution (400 BAD_USER_INPUT, Graph not called), where graphql-js fails the field, or the whole
// operation for `@include`/`@skip`, mid-execution. The generator knows which requests those are.
//
// RUNS: the first run parses and validates the document and fills Apollo's document cache, the later ones are served
// from it, and a query's runs go side by side. The gateway keeps nothing else per document (graphql-jit, removed in
// issue 22, compiled a document on its 11th run and then answered differently: that alone needed 11 runs, which
// were half of this runner's time). A cache that changes what a document does after N runs needs RUNS above N.
const RUNS = 4;

let harness: Harness;
let reference: Reference;
beforeAll(async () => {
  const env = { GRAPH_QUOTAS: 'off', GRAPH_MAX_RETRIES: '0' };
  harness = await startHarness({ env });
  reference = createReference(loadConfig({ ...env, GRAPH_BASE_URL: harness.emulator.baseUrl }));
  // Registers the token with the harness's log check (requests below go through fetch, for the raw text).
  await harness.gateway.send({ query: '{ __typename }', headers: AUTH });
});
afterAll(async () => {
  await reference.close();
  await harness.close();
});

const masked = (text: string) =>
  text.replace(/"(requestId|clientRequestId|date)":"[^"]*"/g, '"$1":"…"');

/** The answer text with per-call values masked and several errors in path order; the rest as it came. */
function comparable(text: string): string {
  const body = JSON.parse(masked(text)) as { errors?: Array<{ path?: unknown }> };
  // Re-serialising changes nothing but the order of errors: JSON.stringify is what Apollo writes answers with.
  expect(`${JSON.stringify(JSON.parse(masked(text)))}\n`).toBe(masked(text));
  body.errors?.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return JSON.stringify(body);
}

/**
 * The Graph calls one run made, told apart by its client-request-id: a call of an earlier run may still arrive
 * (graphql-js answers once a non-null field fails, while a sibling's call is on its way).
 */
const graphCallsOf = (clientRequestId: string) =>
  harness.emulator.requests.filter((call) => call.headers['client-request-id'] === clientRequestId)
    .length;

async function throughGateway(request: GeneratedRequest) {
  const clientRequestId = randomUUID();
  const response = await fetch(harness.gateway.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'client-request-id': clientRequestId,
      ...(request.token ? AUTH : {}),
    },
    body: JSON.stringify({
      query: request.query,
      variables: request.variables,
      ...(request.operationName ? { operationName: request.operationName } : {}),
    }),
  });
  const text = await response.text();
  return { status: response.status, text, graphCalls: graphCallsOf(clientRequestId) };
}

async function throughReference(request: GeneratedRequest) {
  harness.emulator.reset();
  return reference.run({
    query: request.query,
    variables: request.variables,
    ...(request.operationName ? { operationName: request.operationName } : {}),
    headers: { 'client-request-id': randomUUID(), ...(request.token ? AUTH : {}) },
  });
}

/** How far graphql-js went with each request (the coverage check reads it). */
const stages = new Map<string, Stage>();

/** One answer of the gateway against graphql-js's (`expected`), or the designed refusal. */
function check(
  request: GeneratedRequest,
  expected: ReferenceAnswer,
  answer: Awaited<ReturnType<typeof throughGateway>>,
  run: number,
): void {
  // The gateway's check comes after validation and the operation's resolution, before variables are coerced.
  const refused =
    request.nullRequired.length > 0 && ['coercion', 'executed'].includes(expected.stage);
  if (!refused) {
    expect({ run, status: answer.status, answer: comparable(answer.text) }).toEqual({
      run,
      status: expected.status,
      answer: comparable(expected.text),
    });
    // Refused requests, and any without a token, never reach Graph.
    if (expected.status === 400 || !request.token) expect(answer.graphCalls).toBe(0);
    return;
  }
  const body = JSON.parse(answer.text) as {
    errors: Array<{ message: string; extensions: unknown }>;
  };
  expect([run, answer.status, body.errors.length, answer.graphCalls]).toEqual([run, 400, 1, 0]);
  expect(body.errors[0]!.extensions).toEqual({ code: 'BAD_USER_INPUT' });
  const named = /^Variable "\$(\w+)" must not be null/.exec(body.errors[0]!.message)?.[1];
  expect(request.nullRequired).toContain(named);
}

/**
 * graphql-js's answer, then the gateway's, RUNS times. A query's runs go all at once (reads change nothing, and
 * the gateway serves them side by side); a mutation's one after the other, the emulator reset before each.
 */
async function differential(request: GeneratedRequest) {
  const expected = await throughReference(request);
  stages.set(request.name, expected.stage);
  const runs = Array.from({ length: RUNS }, (_, index) => index + 1);
  if (!request.query.trimStart().startsWith('mutation')) {
    harness.emulator.reset();
    const answers = await Promise.all(runs.map(() => throughGateway(request)));
    answers.forEach((answer, index) => check(request, expected, answer, index + 1));
    return;
  }
  for (const run of runs) {
    harness.emulator.reset();
    check(request, expected, await throughGateway(request), run);
  }
}

const QUERIES = Array.from({ length: 48 }, (_, index) => generateQuery(1000 + index));
const MUTATIONS = Array.from({ length: 16 }, (_, index) => generateMutation(2000 + index));

describe('the gateway answers as graphql-js does, run after run', () => {
  it.each(KNOWN.map((request) => [request.name, request] as const))('%s', (_name, request) =>
    differential(request),
  );

  it.each([...QUERIES, ...MUTATIONS].map((request) => [request.name, request] as const))(
    'generated %s',
    (_name, request) => differential(request),
  );

  // schema/ is the API's source of truth: the scalar's resolver must not replace its description or @specifiedBy
  // (makeExecutableSchema copies a GraphQLScalarType's own `description: undefined` over the SDL's).
  it('serves the DateTimeOffset description and specifiedByURL of schema/, plain and as a subgraph', async () => {
    const sdl = buildSchema(loadTypeDefs().join('\n')).getType(
      'DateTimeOffset',
    ) as GraphQLScalarType;
    const expected = { description: sdl.description, specifiedByURL: sdl.specifiedByURL };
    expect(expected.description).toContain("Microsoft Graph's Edm.DateTimeOffset");
    const { body } = await harness.gateway.send({
      query: '{ __type(name: "DateTimeOffset") { description specifiedByURL } }',
    });
    expect(body.data?.__type).toEqual(expected);
    const { typeDefs, resolvers } = schemaDefinition();
    const subgraph = (await buildSubgraph(typeDefs, resolvers)).getType('DateTimeOffset');
    expect(subgraph).toMatchObject(expected);
  });

  it('the generated requests cover what the issue lists', () => {
    const counts = new Map<Feature, number>();
    for (const request of [...QUERIES, ...MUTATIONS])
      for (const feature of request.features) counts.set(feature, (counts.get(feature) ?? 0) + 1);
    const features: readonly Feature[] = [
      'alias',
      'prototype-alias',
      'fragment-once',
      'fragment-twice',
      'inline-fragment',
      'directive-literal',
      'directive-variable',
      'variable-given',
      'variable-missing',
      'variable-null',
      'variable-wrong',
      'list-single-value',
      'several-operations',
      'no-token',
    ];
    expect(features.filter((feature) => (counts.get(feature) ?? 0) < 3)).toEqual([]);
    // Some are refused for a null required variable, most run: both sides of the designed difference are seen.
    const refused = [...QUERIES, ...MUTATIONS].filter((request) => request.nullRequired.length > 0);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(refused.length).toBeLessThan(QUERIES.length / 2);
    const executed = [...QUERIES, ...MUTATIONS].filter(
      (request) => stages.get(request.name) === 'executed' && request.nullRequired.length === 0,
    );
    // Most generated requests run to an answer (their data compared); the rest stop at variables that do not
    // coerce, or at validation, and those answers are compared too.
    expect(executed.length).toBeGreaterThanOrEqual((QUERIES.length + MUTATIONS.length) / 2);
    expect(new Set(stages.values())).toEqual(
      new Set(['executed', 'coercion', 'resolution', 'validation']),
    );
  });
});
