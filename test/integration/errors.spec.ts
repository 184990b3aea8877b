import net from 'node:net';
import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, GET_QUERY, UPDATE_MUTATION, startGateway, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
const update = { input: { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' } };
const GUID = /^[0-9a-f-]{36}$/;

let harness: Harness;
beforeAll(async () => {
  // Retries are off here: this file checks the mapping of each answer (resilience.spec.ts checks retries).
  // GRAPH_QUOTAS off: a 429 here is about mapping; it would also hold the caller's tenant for the next tests.
  harness = await startHarness({
    env: { GRAPH_TIMEOUT_MS: '300', GRAPH_MAX_RETRIES: '0', GRAPH_QUOTAS: 'off' },
  });
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

describe('Graph error statuses map through one table', () => {
  it.each([
    [400, 'BAD_USER_INPUT', 'BadRequest'],
    [401, 'UNAUTHENTICATED', 'InvalidAuthenticationToken'],
    [403, 'FORBIDDEN', 'Authorization_RequestDenied'],
    [404, 'NOT_FOUND', 'ResourceNotFound'],
    [409, 'CONFLICT', 'Conflict'],
    [412, 'CONFLICT', 'PreconditionFailed'],
    [429, 'THROTTLED', 'TooManyRequests'],
    [500, 'UPSTREAM_ERROR', 'InternalServerError'],
    [502, 'UPSTREAM_ERROR', 'BadGateway'],
    [503, 'UPSTREAM_ERROR', 'ServiceUnavailable'],
    [504, 'UPSTREAM_ERROR', 'GatewayTimeout'],
    [418, 'UPSTREAM_ERROR', 'generalException'],
  ])('%i with a Graph error body → %s', async (status, code, graphCode) => {
    harness.emulator.faults.add({ method: 'PATCH', status });
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);

    expect(body.data?.updateDeviceConfigurationUserStatus).toBeNull();
    expect(body.errors).toHaveLength(1);
    const [error] = body.errors ?? [];
    expect(error?.path).toEqual(['updateDeviceConfigurationUserStatus']);
    expect(error?.extensions).toEqual({
      code,
      graph: {
        status,
        code: graphCode,
        message: `Emulated fault: HTTP ${status}.`,
        requestId: expect.stringMatching(GUID) as unknown,
        clientRequestId: harness.emulator.requests[0]?.headers['client-request-id'],
        date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as unknown,
      },
    });
    expect(JSON.stringify(body)).not.toMatch(/stacktrace|innerError|x-ms-ags-diagnostic/);
    expect(harness.emulator.requests).toHaveLength(1);
  });

  it('429 carries retryAfterSeconds from Retry-After in seconds', async () => {
    harness.emulator.faults.add({ status: 429, retryAfter: '2.128' });
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'THROTTLED',
      retryAfterSeconds: 2.128,
    });
  });

  it('429 carries retryAfterSeconds from Retry-After as an HTTP date', async () => {
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    harness.emulator.faults.add({ status: 429, retryAfter: inTenSeconds });
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    const seconds = body.errors?.[0]?.extensions?.retryAfterSeconds as number;
    // An HTTP date has whole seconds, and a loaded machine may take a few to answer: what matters is that the
    // figure comes from the date (about 9 s away when sent), not from a default.
    expect(seconds).toBeGreaterThan(5);
    expect(seconds).toBeLessThanOrEqual(10);
  });

  it.each([
    ['empty', 404, 'NOT_FOUND'],
    ['html', 502, 'UPSTREAM_ERROR'],
    ['html', 403, 'FORBIDDEN'],
    ['truncated', 503, 'UPSTREAM_ERROR'],
    ['truncated', 409, 'CONFLICT'],
  ] as const)('a %s error body with %i still maps by status to %s', async (kind, status, code) => {
    harness.emulator.faults.add({ status, body: kind });
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code,
      graph: {
        status,
        code: null,
        message: null,
        requestId: expect.stringMatching(GUID) as unknown,
      },
    });
    expect(JSON.stringify(body)).not.toMatch(/<html|Bad Gateway/);
  });

  it('the query answers null with NOT_FOUND on 404', async () => {
    const { status, body } = await harness.gateway.gql(GET_QUERY, { c, s: 'no-such-status' }, AUTH);
    expect(status).toBe(200);
    expect(body.data).toEqual({ deviceConfigurationUserStatus: null });
    expect(body.errors?.[0]).toMatchObject({
      path: ['deviceConfigurationUserStatus'],
      extensions: { code: 'NOT_FOUND', graph: { status: 404, code: 'ResourceNotFound' } },
    });
  });

  it('no answer within GRAPH_TIMEOUT_MS → UPSTREAM_TIMEOUT', async () => {
    harness.emulator.faults.add({ hang: true, times: 1 });
    const started = Date.now();
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a 200 that is not a JSON object → UPSTREAM_ERROR', async () => {
    harness.emulator.faults.add({ status: 200, body: 'html', times: 1 });
    harness.emulator.faults.add({ status: 200, body: 'array', times: 1 });
    const html = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    const array = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    // Graph did answer: its status and request id are what a support case needs.
    const answered = {
      code: 'UPSTREAM_ERROR',
      graph: expect.objectContaining({
        status: 200,
        requestId: expect.any(String) as unknown,
        code: null,
      }) as unknown,
    };
    expect(html.body.errors?.[0]?.extensions).toEqual(answered);
    expect(array.body.errors?.[0]?.extensions).toEqual(answered);
  });

  it('a follow-up GET that fails after a 204: READ_BACK_FAILED, the update applied, the read error in readBack', async () => {
    harness.emulator.settings.patchResponse = 'no-content';
    harness.emulator.faults.add({ method: 'GET', status: 503 });
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    expect(harness.emulator.requests.map((r) => r.method)).toEqual(['PATCH', 'GET']);
    expect(body.data?.updateDeviceConfigurationUserStatus).toBeNull();
    const [error] = body.errors ?? [];
    // Before: UPSTREAM_ERROR alone, as if the update had failed.
    expect(error?.message).toBe(
      'The update was applied (Microsoft Graph answered 204 No Content), but reading the user status back failed: Microsoft Graph could not complete the request. Do not send the update again; read the user status later.',
    );
    expect(error?.extensions).toEqual({
      code: 'READ_BACK_FAILED',
      // The write's own: its 204 and ids, and nothing to retry.
      graph: {
        status: 204,
        code: null,
        message: null,
        requestId: expect.stringMatching(GUID) as unknown,
        clientRequestId: harness.emulator.requests[0]?.headers['client-request-id'],
        date: null,
      },
      readBack: {
        code: 'UPSTREAM_ERROR',
        message: 'Microsoft Graph could not complete the request.',
        graph: expect.objectContaining({
          status: 503,
          clientRequestId: harness.emulator.requests[1]?.headers['client-request-id'],
        }) as unknown,
      },
    });
    expect(harness.emulator.store.statusesOf(c).get(s)?.status).toBe('compliant');
  });
});

describe('Graph out of reach', () => {
  it('a refused connection → UPSTREAM_UNAVAILABLE', async () => {
    const port = await closedPort();
    const gateway = await startGateway({
      GRAPH_BASE_URL: `http://127.0.0.1:${port}/beta`,
      GRAPH_RETRY_BASE_DELAY_MS: '10',
    });
    try {
      const { status, body } = await gateway.gql(UPDATE_MUTATION, update, AUTH);
      expect(status).toBe(200);
      expect(body.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE' });
      expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    } finally {
      await gateway.close();
    }
  });
});

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
