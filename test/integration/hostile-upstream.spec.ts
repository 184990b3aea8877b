import { AUTH, GET_QUERY, startGateway, BULK_MUTATION } from '../helpers/harness';
import type { Gateway } from '../helpers/harness';
import { batchOf, startStandIn } from '../helpers/standin';
import type { StandIn } from '../helpers/standin';

/**
 * Issue 11's Graph-side attacks and oddities, through real HTTP: a recording stand-in plays a hostile or broken
 * Graph, and each test shows the clear answer and what Graph was (or was not) sent.
 */
let upstream: StandIn;
let gateway: Gateway;
beforeAll(async () => {
  upstream = await startStandIn();
  gateway = await startGateway({
    GRAPH_BASE_URL: upstream.baseUrl,
    GRAPH_RETRY_BASE_DELAY_MS: '1',
    GRAPH_MAX_RETRIES: '1',
    // A day-long Retry-After would hold the caller's tenant for every later test here.
    GRAPH_QUOTAS: 'off',
  });
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});
beforeEach(() => {
  upstream.received.length = 0;
  upstream.script();
});

const LIST = /* GraphQL */ `
  query List($c: ID!, $first: Int, $after: String) {
    deviceConfigurationUserStatuses(deviceConfigurationId: $c, first: $first, after: $after) {
      nodes {
        id
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;
const C = '6c2b5c4e-1c8f-4ef0-9a5a-0a1f2e3d4c5b';
const inputs = (...ids: string[]) =>
  ids.map((id) => ({ deviceConfigurationId: C, userStatusId: id, status: 'COMPLIANT' }));

describe('hostile ids', () => {
  it.each([
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone low surrogate', '\udfff'],
  ])('%s in userStatusId → BAD_USER_INPUT naming the argument, nothing sent', async (_name, id) => {
    const { status, body } = await gateway.gql(GET_QUERY, { c: C, s: id }, AUTH);
    expect(status).toBe(200);
    expect(body.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      argument: 'userStatusId',
    });
    expect(body.errors?.[0]?.message).toMatch(/lone surrogate/);
    expect(upstream.received).toHaveLength(0);
  });

  it('the same GUID in two cases is one user status: refused before anything is sent', async () => {
    const id = 'abcdef01-2345-6789-abcd-ef0123456789';
    const { body } = await gateway.gql(
      BULK_MUTATION,
      { inputs: inputs(id, id.toUpperCase()) },
      AUTH,
    );
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', index: 1 });
    expect(upstream.received).toHaveLength(0);
  });
});

describe('hostile answers', () => {
  it('Retry-After of 1 followed by 400 zeros → THROTTLED with a finite retryAfterSeconds (single and bulk)', async () => {
    const huge = `1${'0'.repeat(400)}`;
    upstream.script({ status: 429, headers: { 'retry-after': huge } });
    const single = await gateway.gql(GET_QUERY, { c: C, s: 's1' }, AUTH);
    expect(single.body.errors?.[0]?.extensions).toMatchObject({
      code: 'THROTTLED',
      retryAfterSeconds: 86_400,
    });

    upstream.script(batchOf(() => ({ status: 429, headers: { 'Retry-After': huge }, body: {} })));
    const bulk = await gateway.gql(BULK_MUTATION, { inputs: inputs('s1', 's2') }, AUTH);
    const results = bulk.body.data?.updateDeviceConfigurationUserStatuses as Array<{
      error: Record<string, unknown>;
    }>;
    expect(results.map((result) => result.error)).toEqual([
      expect.objectContaining({ code: 'THROTTLED', retryAfterSeconds: 86_400 }),
      expect.objectContaining({ code: 'THROTTLED', retryAfterSeconds: 86_400 }),
    ]);
  });

  it('a batch item with status 1e308 is an upstream error, not a broken Int', async () => {
    upstream.script(batchOf(() => ({ status: 1e308, body: { id: 'x' } })));
    const { body } = await gateway.gql(BULK_MUTATION, { inputs: inputs('s1', 's2') }, AUTH);
    expect(body.errors).toBeUndefined();
    const results = body.data?.updateDeviceConfigurationUserStatuses as Array<{
      error: Record<string, unknown>;
    }>;
    expect(results.map((result) => result.error.code)).toEqual([
      'UPSTREAM_ERROR',
      'UPSTREAM_ERROR',
    ]);
  });

  it('a 200 whose body is {"error": …} is UPSTREAM_ERROR, not a success full of nulls', async () => {
    upstream.script({ status: 200, body: JSON.stringify({ error: { code: 'x', message: 'y' } }) });
    const { body } = await gateway.gql(GET_QUERY, { c: C, s: 's1' }, AUTH);
    expect(body.data?.deviceConfigurationUserStatus).toBeNull();
    expect(body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
  });

  it('4 MB of nested arrays is refused cheaply as UPSTREAM_ERROR', async () => {
    upstream.script({ status: 200, body: '['.repeat(4_000_000) });
    const started = process.cpuUsage();
    const { body } = await gateway.gql(GET_QUERY, { c: C, s: 's1' }, AUTH);
    const cpu = process.cpuUsage(started);
    expect(body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    expect(body.errors?.[0]?.message).toMatch(/nested more than/);
    // The gateway runs in this process: the refusal must not cost anything like JSON.parse's second of CPU.
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(500);
  });

  it('a list page with 200,000 items for first: 100 is refused', async () => {
    const value = Array.from({ length: 200_000 }, (_, index) => ({ id: `u${index}` }));
    upstream.script({ status: 200, body: JSON.stringify({ value }) });
    const { body } = await gateway.gql(LIST, { c: C, first: 100 }, AUTH);
    expect(body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    expect(body.errors?.[0]?.message).toMatch(/200000 items/);
  });

  it('a failed batch item reports its own request id, not the envelope’s', async () => {
    upstream.script(
      batchOf((item) => ({
        status: 404,
        body: {
          error: {
            code: 'itemNotFound',
            message: 'gone',
            innerError: { 'request-id': `item-${item.id}` },
          },
        },
      })),
    );
    const { body } = await gateway.gql(BULK_MUTATION, { inputs: inputs('s1', 's2') }, AUTH);
    const results = body.data?.updateDeviceConfigurationUserStatuses as Array<{
      error: Record<string, unknown>;
    }>;
    expect(results.map((result) => result.error.requestId)).toEqual(['item-1', 'item-2']);
  });
});

describe('forged cursors', () => {
  const cursor = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
  const list = `/deviceManagement/deviceConfigurations/${C}/userStatuses`;

  it('a cursor can only carry Graph’s paging token: the gateway sets $top, $select and $filter itself', async () => {
    upstream.script({ status: 200, body: JSON.stringify({ value: [{ id: 'u1' }] }) });
    const forged = cursor({ l: list.toLowerCase(), t: "x'&$expand=*&$top=999999", o: 0 });
    const { body } = await gateway.gql(LIST, { c: C, first: 5, after: forged }, AUTH);
    expect(body.errors).toBeUndefined();
    const sent = new URL(upstream.received[0]!.url, 'http://x');
    expect(sent.searchParams.get('$top')).toBe('5');
    expect(sent.searchParams.get('$expand')).toBeNull();
    expect(sent.searchParams.get('$skiptoken')).toBe("x'&$expand=*&$top=999999");
    expect([...sent.searchParams.keys()].sort()).toEqual(['$select', '$skiptoken', '$top']);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    [
      'another list',
      cursor({ l: '/devicemanagement/deviceconfigurations/other/userstatuses', t: 'a', o: 0 }),
    ],
    ['a negative offset', cursor({ l: list.toLowerCase(), t: 'a', o: -1 })],
    ['a non-numeric $skip', cursor({ l: list.toLowerCase(), s: '1;drop', o: 0 })],
  ])('%s → BAD_USER_INPUT on after, nothing sent', async (_name, after) => {
    const { body } = await gateway.gql(LIST, { c: C, after }, AUTH);
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'after' });
    expect(upstream.received).toHaveLength(0);
  });

  it.each([
    [
      'another origin',
      'https://evil.example/beta/deviceManagement/deviceConfigurations/C/userStatuses?$skiptoken=a',
    ],
    ['another list', `BASE/deviceManagement/deviceConfigurations/other/userStatuses?$skiptoken=a`],
    [
      'another version',
      `ROOT/v1.0/deviceManagement/deviceConfigurations/${C}/userStatuses?$skiptoken=a`,
    ],
    ['no paging token', `BASE/deviceManagement/deviceConfigurations/${C}/userStatuses?$top=5`],
  ])('a nextLink to %s is not followed: UPSTREAM_ERROR', async (_name, link) => {
    const nextLink = link
      .replace('BASE', upstream.baseUrl)
      .replace('ROOT', new URL(upstream.baseUrl).origin);
    upstream.script({
      status: 200,
      body: JSON.stringify({ value: [{ id: 'u1' }], '@odata.nextLink': nextLink }),
    });
    const { body } = await gateway.gql(LIST, { c: C, first: 5 }, AUTH);
    expect(body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    expect(upstream.received).toHaveLength(1);
  });

  it.each(['ab+cd/ef==', 'skipCount%3d5', 'a%2Bb'])(
    'a paging token (%s) is sent back as Graph wrote it, not decoded and encoded again',
    async (token) => {
      const nextLink = `${upstream.baseUrl}/deviceManagement/deviceConfigurations/${C}/userStatuses?$top=5&$skiptoken=${token}`;
      upstream.script({
        status: 200,
        body: JSON.stringify({ value: [{ id: 'u1' }], '@odata.nextLink': nextLink }),
      });
      const first = await gateway.gql(LIST, { c: C, first: 1 }, AUTH);
      const page = first.body.data as {
        deviceConfigurationUserStatuses: { pageInfo: { endCursor: string } };
      };
      upstream.script({ status: 200, body: JSON.stringify({ value: [{ id: 'u2' }] }) });
      const after = page.deviceConfigurationUserStatuses.pageInfo.endCursor;
      const { body } = await gateway.gql(LIST, { c: C, first: 1, after }, AUTH);
      expect(body.errors).toBeUndefined();
      expect(upstream.received).toHaveLength(2);
      expect(upstream.received[1]!.url).toContain(`&$skiptoken=${token}`);
    },
  );
});
