import { HOSTILE_BODIES } from '../../bench/hostile-documents';
import { configurationId, userStatusId } from '../../emulator/store';
import { MAX_JSON_NESTING, MIN_JSON_VALUES } from '../../src/server/json-bounds';
import { AUTH, BULK_MUTATION, GET_QUERY, startGateway, startHarness } from '../helpers/harness';
import type { GraphQLResponse, Harness } from '../helpers/harness';

/**
 * A request's JSON nests arrays and objects at most MAX_JSON_NESTING levels deep (the body counting as one) and holds
 * at most MIN_JSON_VALUES values (with MAX_BULK_INPUTS' default), checked over its text before anything parses it:
 * JSON.parse took about 290 ms of the gateway's CPU for a 900 KB body nested 450,000 levels, and 35–245 ms for flat
 * or shallow bodies of the same size. Every request here carries a token that would otherwise have reached Graph.
 */
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
/** The read's body, with `extra` as one more (unused) variable: the body is 2 levels deeper than `extra`. */
const readWith = (extra: string, key = 'variables') =>
  key === 'variables'
    ? `{"query":${JSON.stringify(GET_QUERY)},"variables":{"c":"${c}","s":"${s}","a":${extra}}}`
    : `{"query":${JSON.stringify(GET_QUERY)},"variables":{"c":"${c}","s":"${s}"},"${key}":{"a":${extra}}}`;

async function post(body: string, headers: Record<string, string> = {}): Promise<GraphQLResponse> {
  const response = await fetch(harness.gateway.url, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] };
}

const refusal = (message: string) => ({
  status: 400,
  body: { errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] },
});
const refused = (what: string) =>
  refusal(`${what} nests JSON arrays and objects more than ${MAX_JSON_NESTING} levels deep.`);
const VALUES_REFUSAL = `The body holds more than ${MIN_JSON_VALUES} JSON values (arrays, objects and commas counted; the bound is 20 per MAX_BULK_INPUTS, at least ${MIN_JSON_VALUES}).`;

describe('a POST body nested deeper than MAX_JSON_NESTING → 400 BAD_REQUEST, nothing sent to Graph', () => {
  it.each([
    ['the attack: 450,000 levels in variables (900 KB)', readWith(arrays(450_000))],
    ['450,000 levels in extensions', readWith(arrays(450_000), 'extensions')],
    ['objects, 65 levels', readWith(`${'{"a":'.repeat(63)}1${'}'.repeat(63)}`)],
    ['the limit plus one', readWith(arrays(MAX_JSON_NESTING - 1))],
    ['a batch (an array of operations)', `[${readWith('1')},${readWith(arrays(100))}]`],
    // JSON.parse would have said "not valid JSON": the nesting is refused before it runs.
    ['deep, and not JSON at its end', `${readWith(arrays(1_000)).slice(0, -1)} oops`],
    [
      'brackets after a string of escaped quotes',
      readWith(`["${'\\"'.repeat(1_000)}",${arrays(100)}]`),
    ],
  ])('%s', async (_name, body) => {
    expect(await post(body)).toEqual(refused('The body'));
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('with a charset parameter too', async () => {
    const answer = await post(readWith(arrays(1_000)), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(answer).toEqual(refused('The body'));
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('four attack bodies at once, then /healthz still answers and a read still runs', async () => {
    const attacks = await Promise.all(
      Array.from({ length: 4 }, () => post(readWith(arrays(450_000)))),
    );
    expect(attacks.map(({ status }) => status)).toEqual([400, 400, 400, 400]);
    const origin = harness.gateway.url.replace(/\/graphql$/, '');
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    const { status, body } = await post(readWith('1'));
    expect([status, body.errors]).toEqual([200, undefined]);
    expect(harness.emulator.requests).toHaveLength(1);
  });

  it('the log line of a refusal is the request line alone: nothing of the body', async () => {
    const before = harness.gateway.logs.length;
    await post(readWith(arrays(450_000)));
    // The line is written after the answer.
    await new Promise((resolve) => setImmediate(resolve));
    const lines = harness.gateway.logs.slice(before).map((line) => JSON.parse(line) as object);
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'request completed', statusCode: 400, url: '/graphql' }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('[[');
  });
});

describe('a POST body holding more than MIN_JSON_VALUES values → 400 BAD_REQUEST, nothing sent to Graph', () => {
  it.each([
    ['10,001 numbers', readWith(`[${'1,'.repeat(MIN_JSON_VALUES - 4)}1]`)],
    ['5,000 empty objects', readWith(`[${'{},'.repeat(5_000)}{}]`)],
  ])('%s', async (_name, body) => {
    expect(await post(body)).toEqual(refusal(VALUES_REFUSAL));
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('exactly MIN_JSON_VALUES runs', async () => {
    // Counted before the list's items: the body's object, a comma, the variables' object, 2 commas and the list.
    const { status, body } = await post(readWith(`[${'1,'.repeat(MIN_JSON_VALUES - 6)}1]`));
    expect([status, body.errors]).toEqual([200, undefined]);
    expect(harness.emulator.requests).toHaveLength(1);
  });
});

describe('the bound on values follows MAX_BULK_INPUTS (20 values per bulk item)', () => {
  const inputs = Array.from({ length: 1_501 }, (_, index) => ({
    deviceConfigurationId: c,
    userStatusId: `user-${index}`,
    status: 'ERROR',
    userDisplayName: 'A',
    devicesCount: 1,
  }));

  it('1,501 inputs (about 9,000 values): within the default bound, refused by MAX_BULK_INPUTS', async () => {
    const { status, body } = await harness.gateway.gql(BULK_MUTATION, { inputs }, AUTH);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      limit: 'MAX_BULK_INPUTS',
    });
  });

  it('2,001 inputs with MAX_BULK_INPUTS=2000 (about 12,000 values): past the body, refused by MAX_BULK_INPUTS alone', async () => {
    const raised = await startGateway({
      GRAPH_BASE_URL: harness.emulator.baseUrl,
      MAX_BULK_INPUTS: '2000',
    });
    try {
      const many = [...inputs, ...inputs.slice(0, 500)];
      const atDefault = await harness.gateway.gql(BULK_MUTATION, { inputs: many }, AUTH);
      expect(atDefault.body.errors?.[0]?.message).toMatch(
        /^The body holds more than 10000 JSON values/,
      );
      const { status, body } = await raised.gql(BULK_MUTATION, { inputs: many }, AUTH);
      expect(status).toBe(400);
      expect(body.errors?.[0]?.message).toMatch(/^The operation sends 2001 items to Graph in bulk/);
    } finally {
      await raised.close();
    }
    expect(harness.emulator.requests).toHaveLength(0);
  });
});

describe('the JSON bodies of npm run bench:hostile (900 KB each, `{ __typename }` beside them)', () => {
  it.each(HOSTILE_BODIES.map((hostile) => [hostile.name, hostile]))(
    '%s: refused before parsing, or within the bounds and answered',
    async (_name, hostile) => {
      const { status, body } = await post(hostile.body);
      if (hostile.message === null) expect([status, body.errors]).toEqual([200, undefined]);
      else {
        expect(status).toBe(400);
        expect(body.errors?.[0]?.message.startsWith(hostile.message)).toBe(true);
      }
      expect(harness.emulator.requests).toHaveLength(0);
    },
  );
});

describe('legitimate nesting still runs', () => {
  it('exactly MAX_JSON_NESTING levels (an unused variable at the limit)', async () => {
    const { status, body } = await post(readWith(arrays(MAX_JSON_NESTING - 2)));
    expect([status, body.errors]).toEqual([200, undefined]);
    expect(harness.emulator.requests).toHaveLength(1);
  });

  it('a bulk update: body → variables → inputs → input, 4 levels', async () => {
    const inputs = [0, 1].map((index) => ({
      deviceConfigurationId: c,
      userStatusId: userStatusId('windows10-general', index),
      status: 'ERROR',
    }));
    const { status, body } = await harness.gateway.gql(BULK_MUTATION, { inputs }, AUTH);
    expect([status, body.errors]).toEqual([200, undefined]);
    expect(harness.emulator.requests.length).toBeGreaterThan(0);
  });

  it('client metadata of its own in extensions, 5 levels', async () => {
    const { status, body } = await post(readWith('{"meta":{"tags":[1]}}', 'extensions'));
    expect([status, body.errors]).toEqual([200, undefined]);
    expect(harness.emulator.requests).toHaveLength(1);
  });
});

describe('GET: variables and extensions (JSON text in the query string)', () => {
  async function get(search: string): Promise<GraphQLResponse> {
    const response = await fetch(`${harness.gateway.url}?${search}`, {
      headers: { ...AUTH, 'apollo-require-preflight': 'true' },
    });
    return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] };
  }
  const query = `query=${encodeURIComponent(GET_QUERY)}`;
  const variables = (extra: string) => JSON.stringify({ c, s }).replace(/}$/, `,"a":${extra}}`);

  it.each([
    ['variables', `${query}&variables=${encodeURIComponent(variables(arrays(1_000)))}`],
    ['extensions', `${query}&extensions=${encodeURIComponent(`{"a":${arrays(1_000)}}`)}`],
    // Fastify keeps a value with a malformed escape encoded (no brackets to count); Apollo decodes the rest.
    [
      'variables with a malformed escape',
      `${query}&variables=${encodeURIComponent(arrays(1_000))}%ZZ`,
    ],
    [
      'variables at the limit plus one',
      `${query}&variables=${encodeURIComponent(variables(arrays(64)))}`,
    ],
  ])('%s nested too deep → 400 naming the parameter, Graph never called', async (name, search) => {
    expect(await get(search)).toEqual(refused(`The '${name.split(' ')[0]!}' parameter`));
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('variables exactly at the limit run', async () => {
    const { status, body } = await get(
      `${query}&variables=${encodeURIComponent(variables(arrays(63)))}`,
    );
    expect([status, body.errors]).toEqual([200, undefined]);
    expect(harness.emulator.requests).toHaveLength(1);
  });
});

describe('other routes and media types', () => {
  it('a JSON body to an unknown route is not parsed: deep and not JSON, it is still 404', async () => {
    const origin = harness.gateway.url.replace(/\/graphql$/, '');
    const response = await fetch(`${origin}/nowhere`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `${arrays(450_000)} oops`,
    });
    expect(response.status).toBe(404);
  });

  it.each(['application/graphql-response+json', 'text/plain', 'application/json-seq'])(
    'a deep body as %s → 415 before the body is read',
    async (type) => {
      const { status, body } = await post(readWith(arrays(450_000)), { 'content-type': type });
      expect(status).toBe(415);
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
      expect(harness.emulator.requests).toHaveLength(0);
    },
  );
});
