import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { configurationId } from '../../emulator/store';
import { AUTH, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';
import { LIST_QUERY as LIST } from '../helpers/documents';
import type { ListPage as Page } from '../helpers/documents';

const c = configurationId('windows10-general');
const collection = `/beta/deviceManagement/deviceConfigurations/${c}/userStatuses`;

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ env: { GRAPH_RETRY_BASE_DELAY_MS: '10' } });
});
afterAll(() => harness.close());
beforeEach(() => {
  harness.emulator.reset();
  for (let index = 0; index < 60; index += 1)
    harness.emulator.store.put(c, {
      id: `user-${index}`,
      status: 'compliant',
      userDisplayName: `User ${index}`,
      devicesCount: index,
    });
});

/** One GraphQL document reading the given ids, each under its own alias. */
function readMany(ids: readonly string[], selection = 'id status'): string {
  const fields = ids.map(
    (id, index) =>
      `r${index}: deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "${id}") { ${selection} }`,
  );
  return `{ ${fields.join('\n')} }`;
}

/**
 * A 429 lowers its tenant and app's limit and paces their calls for a window afterwards (docs/quotas.md): each
 * test that is answered 429 has a token (an identity) of its own, so that it does not change the next one's batches.
 */
const throttledAuth = (test: string) => ({ authorization: `Bearer throttled-${test}-0123456789` });

const ids = (count: number) => Array.from({ length: count }, (_, index) => `user-${index}`);

interface BatchBody {
  requests: Array<{
    id: string;
    method: string;
    url: string;
    body?: unknown;
    headers?: Record<string, string>;
  }>;
}

const batches = () =>
  harness.emulator.requests
    .filter((request) => request.url === '/beta/$batch')
    .map((request) => JSON.parse(request.body) as BatchBody);

describe('batched reads', () => {
  it('45 distinct reads → exactly 3 $batch calls and no single GET', async () => {
    const { body } = await harness.gateway.gql(readMany(ids(45)), undefined, AUTH);

    expect(body.errors).toBeUndefined();
    expect(Object.keys(body.data ?? {})).toHaveLength(45);
    expect(body.data?.r44).toEqual({ id: 'user-44', status: 'COMPLIANT' });
    expect(harness.emulator.requests).toHaveLength(3);
    expect(
      harness.emulator.requests.every((r) => r.method === 'POST' && r.url === '/beta/$batch'),
    ).toBe(true);
    expect(
      batches()
        .map((batch) => batch.requests.length)
        .sort(),
    ).toEqual([20, 20, 5]);
    expect(harness.emulator.requests[0]?.headers.authorization).toBe(AUTH.authorization);
  });

  it('20 reads → 1 $batch call', async () => {
    await harness.gateway.gql(readMany(ids(20)), undefined, AUTH);
    expect(batches().map((batch) => batch.requests.length)).toEqual([20]);
    expect(harness.emulator.requests).toHaveLength(1);
  });

  it('duplicated keys are asked once', async () => {
    await harness.gateway.gql(readMany(['user-1', 'user-2', 'user-1', 'user-1']), undefined, AUTH);
    const [batch] = batches();
    expect(batch?.requests.map((request) => request.url.split('?')[0])).toEqual([
      `${collection.slice(5)}/user-1`,
      `${collection.slice(5)}/user-2`,
    ]);
  });

  it('a lone read is a plain GET with $select', async () => {
    await harness.gateway.gql(readMany(['user-3'], 'userDisplayName'), undefined, AUTH);
    expect(harness.emulator.requests.map((r) => [r.method, r.url])).toEqual([
      ['GET', `${collection}/user-3?$select=id,userDisplayName`],
    ]);
  });

  it('$select asks only for the selected properties (id always, union over the batch)', async () => {
    const document = `{
      a: deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "user-1") { userDisplayName }
      b: deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "user-2") { ...F }
    } fragment F on DeviceConfigurationUserStatus { devicesCount __typename }`;
    const { body } = await harness.gateway.gql(document, undefined, AUTH);
    expect(body.data).toEqual({
      a: { userDisplayName: 'User 1' },
      b: { devicesCount: 2, __typename: 'DeviceConfigurationUserStatus' },
    });
    const urls = batches()[0]?.requests.map((request) => request.url) ?? [];
    expect(urls.every((url) => url.endsWith('?$select=devicesCount,id,userDisplayName'))).toBe(
      true,
    );
  });

  it('a 404 inside a batch fails only its own field', async () => {
    const { body } = await harness.gateway.gql(
      readMany(['user-1', 'missing', 'user-3']),
      undefined,
      AUTH,
    );
    expect(body.data).toEqual({
      r0: { id: 'user-1', status: 'COMPLIANT' },
      r1: null,
      r2: { id: 'user-3', status: 'COMPLIANT' },
    });
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]).toMatchObject({
      path: ['r1'],
      extensions: { code: 'NOT_FOUND', graph: { status: 404 } },
    });
  });

  it('throttled items are sent again as a smaller batch after Retry-After, then resolve', async () => {
    harness.emulator.faults.add({
      method: 'GET',
      path: '/user-2',
      status: 429,
      retryAfter: '0.2',
      times: 1,
    });
    harness.emulator.faults.add({ method: 'GET', path: '/user-4', status: 503, times: 1 });
    const { body } = await harness.gateway.gql(readMany(ids(6)), undefined, throttledAuth('again'));

    expect(body.errors).toBeUndefined();
    const [first, second] = batches();
    expect(first?.requests).toHaveLength(6);
    expect(
      second?.requests.map((request) => request.url.split('?')[0]?.split('/').pop()).sort(),
    ).toEqual(['user-2', 'user-4']);
    const [firstCall, secondCall] = harness.emulator.requests;
    expect((secondCall?.receivedAt ?? 0) - (firstCall?.receivedAt ?? 0)).toBeGreaterThanOrEqual(
      200,
    );
  });

  it('items still throttled after 3 retries return THROTTLED with retryAfterSeconds', async () => {
    harness.emulator.faults.add({
      method: 'GET',
      path: '/user-1',
      status: 429,
      retryAfter: '0.05',
    });
    const { body } = await harness.gateway.gql(
      readMany(['user-0', 'user-1']),
      undefined,
      throttledAuth('retries'),
    );
    expect(body.data?.r0).toEqual({ id: 'user-0', status: 'COMPLIANT' });
    expect(body.errors?.[0]).toMatchObject({
      path: ['r1'],
      extensions: { code: 'THROTTLED', retryAfterSeconds: 0.05 },
    });
    expect(batches()).toHaveLength(4);
  });

  // 424: a batch with throttled items, as Graph's older batching docs answered it (the current ones say 200).
  it.each([429, 424])(
    'a throttled envelope (%i) is sent again whole after its Retry-After',
    async (status) => {
      harness.emulator.faults.add({
        method: 'POST',
        path: '/$batch',
        status,
        retryAfter: '0.1',
        times: 1,
      });
      const { body } = await harness.gateway.gql(
        readMany(ids(3)),
        undefined,
        throttledAuth(`envelope-${status}`),
      );
      expect(body.errors).toBeUndefined();
      expect(batches().map((batch) => batch.requests.length)).toEqual([3, 3]);
    },
  );

  it('a failed envelope (500) fails every field of its batch, not retried', async () => {
    harness.emulator.faults.add({ method: 'POST', path: '/$batch', status: 500 });
    const { body } = await harness.gateway.gql(readMany(ids(3)), undefined, AUTH);
    expect(body.errors?.map((error) => error.extensions?.code)).toEqual([
      'UPSTREAM_ERROR',
      'UPSTREAM_ERROR',
      'UPSTREAM_ERROR',
    ]);
    expect(harness.emulator.requests).toHaveLength(1);
  });

  it('the loader is per request: the same read in two requests reaches Graph twice, each with its own token', async () => {
    await harness.gateway.gql(readMany(['user-1']), undefined, {
      authorization: 'Bearer first-token-aaaa',
    });
    await harness.gateway.gql(readMany(['user-1']), undefined, {
      authorization: 'Bearer second-token-bbbb',
    });
    expect(harness.emulator.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer first-token-aaaa',
      'Bearer second-token-bbbb',
    ]);
  });
});

const BULK = /* GraphQL */ `
  mutation Bulk($inputs: [UpdateDeviceConfigurationUserStatusInput!]!) {
    updateDeviceConfigurationUserStatuses(inputs: $inputs) {
      userStatus {
        id
        status
        devicesCount
      }
      error {
        code
        message
        status
        requestId
        retryAfterSeconds
      }
    }
  }
`;

describe('bulk update', () => {
  const inputs = (count: number) =>
    ids(count).map((id, index) => ({
      deviceConfigurationId: c,
      userStatusId: id,
      status: 'NON_COMPLIANT',
      devicesCount: 100 + index,
    }));

  it('45 updates → 3 $batch calls and 45 results in input order', async () => {
    const { body } = await harness.gateway.gql(BULK, { inputs: inputs(45) }, AUTH);
    const results = body.data?.updateDeviceConfigurationUserStatuses as Array<{
      userStatus: { id: string; devicesCount: number };
    }>;

    expect(body.errors).toBeUndefined();
    expect(results.map((result) => result.userStatus.id)).toEqual(ids(45));
    expect(results.map((result) => result.userStatus.devicesCount)).toEqual(
      ids(45).map((_, index) => 100 + index),
    );
    expect(harness.emulator.requests).toHaveLength(3);
    const items = batches().flatMap((batch) => batch.requests);
    expect(
      items.every(
        (item) => item.method === 'PATCH' && item.headers?.['Content-Type'] === 'application/json',
      ),
    ).toBe(true);
    expect(items.find((item) => item.url.endsWith('/user-7'))?.body).toEqual({
      status: 'nonCompliant',
      devicesCount: 107,
    });
  });

  it('items answered 204 are read back through batched GETs', async () => {
    harness.emulator.settings.patchResponse = 'no-content';
    const { body } = await harness.gateway.gql(BULK, { inputs: inputs(25) }, AUTH);
    const results = body.data?.updateDeviceConfigurationUserStatuses as Array<{
      userStatus: { status: string };
    }>;
    expect(results.every((result) => result.userStatus.status === 'NON_COMPLIANT')).toBe(true);
    const methods = batches().map((batch) =>
      [...new Set(batch.requests.map((request) => request.method))].join(),
    );
    expect(methods.sort()).toEqual(['GET', 'GET', 'PATCH', 'PATCH']);
  });

  it('an item failure is that result error; the others succeed', async () => {
    const some = [
      ...inputs(3),
      { deviceConfigurationId: c, userStatusId: 'missing', status: 'ERROR' },
    ];
    const { body } = await harness.gateway.gql(BULK, { inputs: some }, AUTH);
    const results = body.data?.updateDeviceConfigurationUserStatuses as Array<
      Record<string, unknown>
    >;
    expect(results[3]).toEqual({
      userStatus: null,
      error: {
        code: 'NOT_FOUND',
        message: expect.any(String) as unknown,
        status: 404,
        requestId: expect.any(String) as unknown,
        retryAfterSeconds: null,
      },
    });
    expect(results.slice(0, 3).every((result) => result.error === null)).toBe(true);
  });

  it('101 inputs → BAD_USER_INPUT with nothing sent', async () => {
    const { body } = await harness.gateway.gql(BULK, { inputs: inputs(101) }, AUTH);
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('at most 100') as unknown,
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('one invalid input fails the field with its index, nothing sent', async () => {
    const some = inputs(5);
    some[3] = { ...some[3]!, userStatusId: '../x' };
    const { body } = await harness.gateway.gql(BULK, { inputs: some }, AUTH);
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^inputs\[3\]\.userStatusId /) as unknown,
      extensions: { code: 'BAD_USER_INPUT', index: 3 },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('an input with nothing to change, or a user status named twice, is refused with its index', async () => {
    const empty = await harness.gateway.gql(
      BULK,
      { inputs: [...inputs(2), { deviceConfigurationId: c, userStatusId: 'user-9' }] },
      AUTH,
    );
    expect(empty.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('inputs[2] has nothing to change') as unknown,
      extensions: { index: 2 },
    });
    const twice = await harness.gateway.gql(BULK, { inputs: [...inputs(2), inputs(1)[0]] }, AUTH);
    expect(twice.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining(
        'inputs[2] names the same user status as inputs[0]',
      ) as unknown,
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('throttled items are retried and then land', async () => {
    harness.emulator.faults.add({
      method: 'PATCH',
      path: '/user-5',
      status: 429,
      retryAfter: '0.1',
      times: 2,
    });
    const { body } = await harness.gateway.gql(BULK, { inputs: inputs(10) }, throttledAuth('bulk'));
    const results = body.data?.updateDeviceConfigurationUserStatuses as Array<{ error: unknown }>;
    expect(results.every((result) => result.error === null)).toBe(true);
    expect(batches().map((batch) => batch.requests.length)).toEqual([10, 1, 1]);
  });

  it('no token → UNAUTHENTICATED with nothing sent', async () => {
    const { body } = await harness.gateway.gql(BULK, { inputs: inputs(3) });
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(harness.emulator.requests).toHaveLength(0);
  });
});

describe('lists', () => {
  it('walks a 250-item list to its end with first: 100', async () => {
    harness.emulator.store.statusesOf(c).clear();
    for (let index = 0; index < 250; index += 1)
      harness.emulator.store.put(c, { id: `p-${index}`, status: 'compliant' });
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const response = await harness.gateway.gql(LIST, { c, first: 100, after }, AUTH);
      const connection = response.body.data?.deviceConfigurationUserStatuses as Page;
      seen.push(...connection.nodes.map((node) => node.id));
      after = connection.pageInfo.endCursor;
      if (!connection.pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual(Array.from({ length: 250 }, (_, index) => `p-${index}`));
    expect(harness.emulator.requests).toHaveLength(3);
    // The last page's endCursor is its last edge's (Relay): past it, an empty page that says so.
    const past = await harness.gateway.gql(LIST, { c, first: 100, after }, AUTH);
    expect(past.body.data?.deviceConfigurationUserStatuses).toEqual({
      nodes: [],
      pageInfo: { hasNextPage: false, endCursor: null },
    });
    expect(harness.emulator.requests[0]?.url).toBe(`${collection}?$top=100&$select=id,status`);
  });

  it('filters on status and defaults to 100 per page', async () => {
    harness.emulator.store.put(c, { id: 'odd-one', status: 'conflict' });
    const { body } = await harness.gateway.gql(LIST, { c, status: 'CONFLICT' }, AUTH);
    expect((body.data?.deviceConfigurationUserStatuses as Page).nodes).toEqual([
      { id: 'odd-one', status: 'CONFLICT' },
    ]);
    expect(harness.emulator.requests[0]?.url).toBe(
      `${collection}?$top=100&$select=id,status&$filter=status%20eq%20%27conflict%27`,
    );
  });

  it.each([0, 1000, -5])('first: %i → BAD_USER_INPUT, nothing sent', async (first) => {
    const { body } = await harness.gateway.gql(LIST, { c, first }, AUTH);
    expect(body.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', argument: 'first' },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('a forged cursor to another origin sends nothing anywhere', async () => {
    const received: string[] = [];
    const elsewhere = http.createServer((req, res) => {
      received.push(req.url ?? '');
      res.end('{}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const { port } = elsewhere.address() as AddressInfo;
    try {
      const forged = [
        `http://127.0.0.1:${port}/beta/deviceManagement/deviceConfigurations/${c}/userStatuses?$skiptoken=1`,
        `${harness.emulator.origin}/v1.0/users`,
        `${harness.emulator.origin}/beta/deviceManagement/deviceConfigurations/other/userStatuses?$skiptoken=1`,
        'not a url at all',
      ].map((link) => Buffer.from(link).toString('base64url'));
      for (const after of [...forged, 'garbage!!']) {
        const { body } = await harness.gateway.gql(LIST, { c, after }, AUTH);
        expect(body.errors?.[0]).toMatchObject({
          extensions: { code: 'BAD_USER_INPUT', argument: 'after' },
        });
      }
      expect(received).toHaveLength(0);
      expect(harness.emulator.requests).toHaveLength(0);
    } finally {
      await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
    }
  });
});
