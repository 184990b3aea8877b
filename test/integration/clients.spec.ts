import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { AUTH, TOKEN, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

/** What test/fixtures/clients.mjs prints: per client and scenario, the client's result and the wire. */
interface Outcome {
  readonly data: Record<string, unknown> | null;
  readonly codes: string[];
  readonly error: string | null;
  readonly wire: Array<{ method: string; accept: string; status: number; contentType: string }>;
}
type Results = Record<string, Record<string, Outcome>>;

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'clients.mjs');
const CLIENTS = [
  'apollo-client',
  'apollo-client-set-context-link',
  'urql-post',
  'urql-get-preflight',
  'graphql-request',
] as const;
const USER_STATUS = '2f2248c2-757e-4cb8-ac40-d957f8896c4f';

let harness: Harness;
let results: Results;
beforeAll(async () => {
  harness = await startHarness();
  // The clients are ESM (graphql-request only ships ESM): they run in their own Node process, over real HTTP.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [FIXTURE, harness.gateway.url, TOKEN],
    { timeout: 15000 },
  );
  results = JSON.parse(stdout) as Results;
}, 20000);
afterAll(() => harness.close());

describe('the clients frontends use: Apollo Client, urql, graphql-request', () => {
  it.each(CLIENTS)('%s: a query with variables', (client) => {
    const { data, codes, wire } = results[client]!.query!;
    expect(codes).toEqual([]);
    expect(data?.deviceConfigurationUserStatus).toMatchObject({ id: USER_STATUS });
    expect(wire.map((call) => call.status)).toEqual([200]);
  });

  it.each(CLIENTS)('%s: a mutation with variables, the DateTimeOffset verbatim', (client) => {
    const { data, codes, wire } = results[client]!.mutation!;
    expect(codes).toEqual([]);
    expect(data?.updateDeviceConfigurationUserStatus).toMatchObject({
      userStatus: { id: USER_STATUS, lastReportedDateTime: '2017-01-01T00:00:17.7769392-08:00' },
    });
    expect(wire.map((call) => call.method)).toEqual(['POST']);
  });

  it.each(
    CLIENTS.flatMap(
      (client) =>
        [
          [client, 'notFound', 'NOT_FOUND', 200, { deviceConfigurationUserStatus: null }],
          [
            client,
            'unauthenticated',
            'UNAUTHENTICATED',
            200,
            { deviceConfigurationUserStatus: null },
          ],
          [client, 'badVariable', 'BAD_USER_INPUT', 400, null],
          [client, 'unknownField', 'GRAPHQL_VALIDATION_FAILED', 400, null],
        ] as const,
    ),
  )('%s: %s gives extensions.code %s with HTTP %i', (client, scenario, code, status, data) => {
    const outcome = results[client]![scenario]!;
    expect(outcome.codes).toEqual([code]);
    expect(outcome.wire.map((call) => call.status)).toEqual([status]);
    expect(outcome.data).toEqual(data);
    expect(outcome.error).not.toBeNull(); // each client reports it as an error, in its own way
  });

  it.each(CLIENTS)(
    '%s: asks for application/graphql-response+json and gets it, for answers and errors alike',
    (client) => {
      const calls = Object.values(results[client]!).flatMap((outcome) => outcome.wire);
      expect(calls).toHaveLength(6);
      for (const call of calls) {
        expect(call.accept).toMatch(/^application\/graphql-response\+json\b/);
        expect(call.contentType).toBe('application/graphql-response+json; charset=utf-8');
      }
    },
  );

  it('urql sends queries as GET: with the preflight header they go through as GET', () => {
    const calls = Object.values(results['urql-get-preflight']!).flatMap((outcome) => outcome.wire);
    expect(calls.map((call) => call.method)).toEqual(['GET', 'POST', 'GET', 'GET', 'POST', 'GET']);
  });

  it("urql's defaults: queries (GET) are refused by CSRF prevention with a message that names the fix; mutations work", () => {
    const urql = results['urql-default']!;
    for (const scenario of ['query', 'notFound', 'unauthenticated', 'unknownField']) {
      const outcome = urql[scenario]!;
      expect(outcome.wire).toEqual([expect.objectContaining({ method: 'GET', status: 400 })]);
      expect(outcome.codes).toEqual(['BAD_REQUEST']);
      expect(outcome.error).toContain('Cross-Site Request Forgery');
      expect(outcome.error).toContain('apollo-require-preflight');
    }
    expect(urql.mutation!.codes).toEqual([]);
    expect(urql.mutation!.wire[0]?.method).toBe('POST');
  });

  it('Graph saw exactly the calls that passed: refused and invalid operations sent nothing', () => {
    const count = (method: string) =>
      harness.emulator.requests.filter((request) => request.method === method).length;
    // 5 working setups × (query + notFound) reads; 6 mutations (urql's defaults POST them too).
    expect(count('GET')).toBe(10);
    expect(count('PATCH')).toBe(6);
    expect(
      harness.emulator.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`),
    ).toBe(true);
  });

  it('codegen tools see DateTimeOffset as a string scalar with its specification (@specifiedBy)', async () => {
    const { body } = await harness.gateway.gql(
      '{ __type(name: "DateTimeOffset") { kind specifiedByURL } }',
    );
    expect(body.data?.__type).toEqual({
      kind: 'SCALAR',
      specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc3339#section-5.6',
    });
  });

  it('Relay-style clients get edges and the full PageInfo: forward paging, start and end at the edges', async () => {
    const page = (after?: string) =>
      harness.gateway.gql(
        `query($after: String) {
          deviceConfigurationUserStatuses(deviceConfigurationId: "fb2e09f7-878d-4440-aa28-935f7a56e498", first: 2, after: $after) {
            edges { cursor node { id } }
            nodes { id }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          }
        }`,
        { after },
        AUTH,
      );
    interface Page {
      edges: Array<{ cursor: string; node: { id: string } }>;
      nodes: Array<{ id: string }>;
      pageInfo: { endCursor: string };
    }
    const first = (await page()).body.data?.deviceConfigurationUserStatuses as Page;
    expect(first.edges.map((edge) => edge.node)).toEqual(first.nodes);
    expect(first.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: first.edges[0]!.cursor,
      endCursor: first.edges[1]!.cursor,
    });
    const second = (await page(first.pageInfo.endCursor)).body.data
      ?.deviceConfigurationUserStatuses as Page;
    expect(second.nodes).toHaveLength(1);
    expect(second.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: second.edges[0]!.cursor,
      endCursor: second.edges[0]!.cursor,
    });
  });
});
