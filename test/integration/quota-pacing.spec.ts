import { configurationId, createEmulatorToken } from '../../emulator';
import { startGateway, startHarness, BULK_MUTATION } from '../helpers/harness';
import type { Gateway, Harness } from '../helpers/harness';

/**
 * Quota pacing inside one gateway (in-process windows): what a caller sees when budget runs out, over real HTTP
 * against the emulator, and what Graph was (not) sent.
 */
const c = configurationId('windows10-general');
const APP = '0c0c0c0c-0000-4000-8000-00000000000c';
const tokenFor = (tid: string, scopes = ['DeviceManagementConfiguration.ReadWrite.All']) =>
  `Bearer ${createEmulatorToken(scopes, { tid, appid: APP })}`;
const UPDATE = /* GraphQL */ `
  mutation One($input: UpdateDeviceConfigurationUserStatusInput!) {
    updateDeviceConfigurationUserStatus(input: $input) {
      userStatus {
        id
      }
    }
  }
`;
const input = (id: string) => ({ deviceConfigurationId: c, userStatusId: id, status: 'COMPLIANT' });
const READ = /* GraphQL */ `
  query Get($c: ID!, $s: ID!) {
    deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) {
      id
    }
  }
`;

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({
    emulator: { quotas: { enabled: false } },
    env: {
      GRAPH_QUOTA_WINDOW_MS: '60000',
      GRAPH_QUOTA_APP_WRITES: '3',
      GRAPH_DEADLINE_MS: '800',
    },
  });
});
afterAll(() => harness.close());
beforeEach(() => {
  harness.emulator.reset();
  for (let index = 0; index < 10; index += 1)
    harness.emulator.store.put(c, { id: `q-${index}`, status: 'error' });
});

const patches = () =>
  harness.emulator.requests.filter(
    (request) => request.method === 'PATCH' || request.url.endsWith('$batch'),
  );

it('no budget before the deadline: THROTTLED with retryAfterSeconds, and nothing sent', async () => {
  const auth = { authorization: tokenFor('11111111-0000-4000-8000-000000000001') };
  for (const id of ['q-0', 'q-1', 'q-2']) {
    const { body } = await harness.gateway.gql(UPDATE, { input: input(id) }, auth);
    expect(body.errors).toBeUndefined();
  }
  const { body } = await harness.gateway.gql(UPDATE, { input: input('q-3') }, auth);
  expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'THROTTLED' });
  const seconds = body.errors?.[0]?.extensions?.retryAfterSeconds as number;
  expect(seconds).toBeGreaterThan(50);
  expect(seconds).toBeLessThanOrEqual(61);
  expect(patches()).toHaveLength(3);
});

it('in a bulk mutation, the items that fit succeed and the rest are THROTTLED each', async () => {
  const auth = { authorization: tokenFor('22222222-0000-4000-8000-000000000002') };
  const { body } = await harness.gateway.gql(
    BULK_MUTATION,
    { inputs: ['q-0', 'q-1', 'q-2', 'q-3', 'q-4'].map(input) },
    auth,
  );
  const results = body.data?.updateDeviceConfigurationUserStatuses as Array<{
    error: { code: string } | null;
  }>;
  expect(results.map((result) => result.error?.code ?? 'ok')).toEqual([
    'ok',
    'ok',
    'ok',
    'THROTTLED',
    'THROTTLED',
  ]);
  const sent = harness.emulator.requests.flatMap((request) =>
    request.url.endsWith('$batch')
      ? (JSON.parse(request.body) as { requests: unknown[] }).requests
      : [request],
  );
  expect(sent).toHaveLength(3);
});

it('tenants are independent: another tenant is served while the first has no budget', async () => {
  const first = { authorization: tokenFor('33333333-0000-4000-8000-000000000003') };
  const second = { authorization: tokenFor('44444444-0000-4000-8000-000000000004') };
  await harness.gateway.gql(BULK_MUTATION, { inputs: ['q-0', 'q-1', 'q-2'].map(input) }, first);
  const { body } = await harness.gateway.gql(UPDATE, { input: input('q-5') }, second);
  expect(body.errors).toBeUndefined();
});

it('calls Graph answers 403 give their budget back: a forged tenant claim cannot spend it', async () => {
  const tid = '55555555-0000-4000-8000-000000000005';
  const readOnly = { authorization: tokenFor(tid, ['DeviceManagementConfiguration.Read.All']) };
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const { body } = await harness.gateway.gql(UPDATE, { input: input('q-6') }, readOnly);
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  }
  const { body } = await harness.gateway.gql(
    UPDATE,
    { input: input('q-7') },
    { authorization: tokenFor(tid) },
  );
  expect(body.errors).toBeUndefined();
});

it('a 429 without Retry-After holds the tenant and app for a whole window; another app goes on', async () => {
  const tid = '66666666-0000-4000-8000-000000000006';
  const auth = { authorization: tokenFor(tid) };
  // Proven first (Graph accepted the token): an unproven token's 429 would hold that token alone.
  const read = await harness.gateway.gql(READ, { c, s: 'q-8' }, auth);
  expect(read.body.errors).toBeUndefined();
  harness.emulator.faults.add({ method: 'PATCH', path: 'q-8', status: 429, times: 1 });
  const first = await harness.gateway.gql(UPDATE, { input: input('q-8') }, auth);
  expect(first.body.errors?.[0]?.extensions?.code).toBe('THROTTLED');
  // Held for the 60 s window (60.5 s with its margin), far past this operation's deadline: not sent, whatever
  // the caller's token (another of the same tenant and app here).
  const sameApp = `Bearer ${createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], { tid, appid: APP, jti: 'another' })}`;
  const { body } = await harness.gateway.gql(
    UPDATE,
    { input: input('q-9') },
    { authorization: sameApp },
  );
  expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'THROTTLED' });
  const seconds = body.errors?.[0]?.extensions?.retryAfterSeconds as number;
  expect(seconds).toBeGreaterThan(59);
  expect(seconds).toBeLessThanOrEqual(60.5);
  expect(patches().map((request) => request.url.split('/').pop())).toEqual(['q-8']);
  const otherApp = `Bearer ${createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], { tid, appid: '0d0d0d0d-0000-4000-8000-00000000000d' })}`;
  const other = await harness.gateway.gql(
    UPDATE,
    { input: input('q-9') },
    { authorization: otherApp },
  );
  expect(other.body.errors).toBeUndefined();
});

it('the quota metrics are exported', async () => {
  const metrics = await (await fetch(harness.gateway.url.replace('/graphql', '/metrics'))).text();
  expect(metrics).toMatch(/^intune_gateway_quota_wait_seconds_count\{kind="write"\} \d+/m);
  expect(metrics).toMatch(/^intune_gateway_quota_refused_total\{kind="write"\} [1-9]/m);
  // The 429 above halved that app's write limit: 3 → 1.
  expect(metrics).toMatch(/^intune_gateway_quota_effective_limit\{kind="write"\} 1$/m);
  expect(metrics).toMatch(
    /^intune_gateway_quota_limit_decreases_total\{kind="write",cause="throttled"\} 1$/m,
  );
});

describe('an update Graph applied with 204 whose read-back has no budget', () => {
  // One call per app and window: a PATCH takes it, and the GET that reads a 204's user status has none before
  // the deadline. Found by the quota probe of 2026-12-06: 16 of 20 applied writes answered THROTTLED ("nothing
  // sent"), and callers sent them again where budget was already short.
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({
      GRAPH_BASE_URL: harness.emulator.baseUrl,
      GRAPH_QUOTA_WINDOW_MS: '60000',
      GRAPH_QUOTA_APP_CALLS: '1',
      GRAPH_DEADLINE_MS: '800',
    });
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    harness.emulator.settings.patchResponse = 'no-content';
  });

  it('one update: READ_BACK_FAILED (applied, the read THROTTLED), never THROTTLED alone', async () => {
    const auth = { authorization: tokenFor('77777777-0000-4000-8000-000000000007') };
    const { body } = await gateway.gql(UPDATE, { input: input('q-1') }, auth);
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'READ_BACK_FAILED',
      graph: { status: 204 },
      readBack: { code: 'THROTTLED' },
    });
    expect(body.errors?.[0]?.extensions).not.toHaveProperty('retryAfterSeconds');
    expect(body.errors?.[0]?.message).toMatch(
      /^The update was applied .* Do not send the update again/,
    );
    expect(harness.emulator.requests.map((request) => request.method)).toEqual(['PATCH']);
    expect(harness.emulator.store.statusesOf(c).get('q-1')?.status).toBe('compliant');
  });

  it('in a bulk mutation: the applied item READ_BACK_FAILED with status 204, the one not sent THROTTLED', async () => {
    const auth = { authorization: tokenFor('88888888-0000-4000-8000-000000000008') };
    const { body } = await gateway.gql(BULK_MUTATION, { inputs: ['q-2', 'q-3'].map(input) }, auth);
    const results = body.data?.updateDeviceConfigurationUserStatuses as Array<{
      error: { code: string; status: number | null; retryAfterSeconds: number | null } | null;
    }>;
    expect(results.map((result) => result.error)).toEqual([
      expect.objectContaining({ code: 'READ_BACK_FAILED', status: 204, retryAfterSeconds: null }),
      expect.objectContaining({ code: 'THROTTLED', status: null }),
    ]);
    const sent = harness.emulator.requests.flatMap((request) =>
      request.url.endsWith('$batch')
        ? (JSON.parse(request.body) as { requests: Array<{ method: string }> }).requests
        : [request],
    );
    expect(sent.map((request) => request.method)).toEqual(['PATCH']);
    expect(harness.emulator.store.statusesOf(c).get('q-2')?.status).toBe('compliant');
    expect(harness.emulator.store.statusesOf(c).get('q-3')?.status).toBe('error');
  });
});
