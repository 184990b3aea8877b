import { configurationId, createEmulatorToken, startEmulator, userStatusId } from '../../emulator';
import type { Emulator } from '../../emulator';
import { gatewayStartOptions, startBuiltGateway } from '../../bench/lib';
import { waitFor } from '../helpers/wait';

/**
 * A rolling update during throttling, end to end: a real gateway process whose operation waits for quota budget
 * when SIGTERM comes. The wait ends at once with THROTTLED (nothing more is sent), the call already sent finishes
 * normally, and the process shuts down by itself (exit 0) instead of being held until SHUTDOWN_TIMEOUT_MS.
 */
const TENANT = '0d0d0d0d-0000-4000-8000-00000000000d';
const APP = '0e0e0e0e-0000-4000-8000-00000000000e';
const WINDOW_MS = 20_000;

/** Two reads in one operation: one $batch whose budget covers one item; the other waits for the window. */
const TWO_READS = /* GraphQL */ `
  query Two($c: ID!, $a: ID!, $b: ID!) {
    a: deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $a) {
      id
    }
    b: deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $b) {
      id
    }
  }
`;

interface Answer {
  data?: { a: { id: string } | null; b: { id: string } | null };
  errors?: Array<{ path?: string[]; extensions?: { code?: string; retryAfterSeconds?: number } }>;
}

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ mode: 'friendly' });
});
afterAll(() => emulator.close());

it('SIGTERM ends a quota wait with THROTTLED, sends nothing more, and the process exits 0', async () => {
  const gateway = await startBuiltGateway(
    {
      GRAPH_BASE_URL: emulator.baseUrl,
      LOG_LEVEL: 'info',
      GRAPH_QUOTA_WINDOW_MS: String(WINDOW_MS),
      GRAPH_QUOTA_APP_CALLS: '1',
      // No margin: the budget the first item took frees exactly a window after it.
      GRAPH_QUOTA_MARGIN_MS: '0',
      GRAPH_DEADLINE_MS: '30000',
    },
    gatewayStartOptions(),
  );
  const token = createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], {
    tid: TENANT,
    appid: APP,
  });
  const c = configurationId('windows10-general');
  const variables = {
    c,
    a: userStatusId('windows10-general', 0),
    b: userStatusId('windows10-general', 1),
  };
  const answer = fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: TWO_READS, variables }),
  });
  // The first item reached Graph: the operation is in flight and its second item waits for the window.
  await waitFor(() => emulator.requests.length > 0, 10_000);
  const exited = gateway.stop();

  const response = await answer;
  const body = (await response.json()) as Answer;
  expect(response.status).toBe(200);
  expect(body.data?.a).toEqual({ id: variables.a });
  expect(body.data?.b).toBeNull();
  expect(body.errors).toHaveLength(1);
  const [error] = body.errors!;
  expect(error!.path).toEqual(['b']);
  expect(error!.extensions?.code).toBe('THROTTLED');
  // When the window frees the budget the first item took: within the window, and not the one second said when
  // nothing says when (the first item went a moment ago).
  expect(error!.extensions?.retryAfterSeconds).toBeGreaterThan(WINDOW_MS / 2000);
  expect(error!.extensions?.retryAfterSeconds).toBeLessThanOrEqual(WINDOW_MS / 1000);

  expect(await exited).toBe(0);
  const messages = gateway.logs.map((line) => line.msg);
  expect(messages).toEqual(expect.arrayContaining(['draining', 'shut down']));
  expect(messages).not.toContain('shutdown timeout reached; exiting with requests still in flight');
  // Graph got the one $batch with the first item, and nothing after it.
  expect(emulator.requests).toHaveLength(1);
  expect(emulator.requests[0]!.method).toBe('POST');
}, 30_000);

it('SIGTERM with a call Graph does not answer: the call is cut before SHUTDOWN_TIMEOUT_MS, answered, and the process exits 0', async () => {
  // Graph keeps the write's socket open and never answers; the gateway's own limits (30 s) are far past the
  // shutdown's 2 s, so only the drain's end can end the call.
  emulator.reset();
  emulator.faults.add({ method: 'PATCH', path: '/userStatuses/', hang: true });
  const gateway = await startBuiltGateway(
    {
      GRAPH_BASE_URL: emulator.baseUrl,
      LOG_LEVEL: 'info',
      GRAPH_TIMEOUT_MS: '30000',
      GRAPH_DEADLINE_MS: '30000',
      SHUTDOWN_TIMEOUT_MS: '2000',
    },
    gatewayStartOptions(),
  );
  const token = createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], {
    tid: TENANT,
    appid: APP,
  });
  const input = {
    deviceConfigurationId: configurationId('windows10-general'),
    userStatusId: userStatusId('windows10-general', 0),
    status: 'COMPLIANT',
  };
  const answer = fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: `mutation($input: UpdateDeviceConfigurationUserStatusInput!) {
        updateDeviceConfigurationUserStatus(input: $input) { userStatus { id } }
      }`,
      variables: { input },
    }),
  });
  await waitFor(() => emulator.requests.some((request) => request.method === 'PATCH'), 10_000);
  const exited = gateway.stop();

  const response = await answer;
  const body = (await response.json()) as {
    data?: unknown;
    errors?: Array<{ message: string; extensions?: { code?: string } }>;
  };
  expect(response.status).toBe(200);
  expect(body.data).toEqual({ updateDeviceConfigurationUserStatus: null });
  expect(body.errors?.map((error) => [error.extensions?.code, error.message])).toEqual([
    [
      'UPSTREAM_TIMEOUT',
      'This gateway shut down before Microsoft Graph answered; the call may have been applied.',
    ],
  ]);
  expect(await exited).toBe(0);
  const messages = gateway.logs.map((line) => line.msg);
  expect(messages).toEqual(expect.arrayContaining(['draining', 'shut down']));
  expect(messages).not.toContain('shutdown timeout reached; exiting with requests still in flight');
  // Sent once: a call cut by the drain is not retried.
  expect(emulator.requests.filter((request) => request.method === 'PATCH')).toHaveLength(1);
}, 30_000);
