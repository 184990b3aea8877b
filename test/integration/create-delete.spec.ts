import { configurationId } from '../../emulator/store';
import { AUTH, TOKEN, startHarness, SEEDED_PATHS } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

const PATHS = SEEDED_PATHS;

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateDeviceConfigurationUserStatusInput!) {
    createDeviceConfigurationUserStatus(input: $input) {
      userStatus {
        id
        status
        userDisplayName
        lastReportedDateTime
        devicesCount
      }
      requestId
      clientRequestId
    }
  }
`;

const DELETE = /* GraphQL */ `
  mutation Delete($path: UserStatusPath, $c: ID!, $s: ID!) {
    deleteDeviceConfigurationUserStatus(path: $path, deviceConfigurationId: $c, userStatusId: $s) {
      deletedId
      requestId
    }
  }
`;

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ env: { GRAPH_RETRY_BASE_DELAY_MS: '10' } });
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

describe('create and delete on each path', () => {
  it.each(PATHS)(
    '%s: POST creates, DELETE removes',
    async (path, configKey, targetKey, segment) => {
      const c = configurationId(configKey);
      const collection = `/beta/deviceManagement/deviceConfigurations/${c}${segment}/userStatuses`;
      const created = await harness.gateway.gql(
        CREATE,
        {
          input: {
            path,
            deviceConfigurationId: c,
            id: 'new-status',
            status: 'ERROR',
            userDisplayName: 'Lee Gu',
            lastReportedDateTime: '2026-11-28T10:00:00.1234567+01:00',
          },
        },
        AUTH,
      );

      expect(created.body.errors).toBeUndefined();
      expect(created.body.data?.createDeviceConfigurationUserStatus).toMatchObject({
        userStatus: {
          id: 'new-status',
          status: 'ERROR',
          userDisplayName: 'Lee Gu',
          lastReportedDateTime: '2026-11-28T10:00:00.1234567+01:00',
        },
        requestId: expect.any(String) as unknown,
      });
      const [post] = harness.emulator.requests;
      expect(post?.method).toBe('POST');
      expect(post?.url).toBe(collection);
      expect(post?.headers).toMatchObject({
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
      });
      expect(JSON.parse(post?.body ?? '')).toEqual({
        '@odata.type': '#microsoft.graph.deviceConfigurationUserStatus',
        id: 'new-status',
        status: 'error',
        userDisplayName: 'Lee Gu',
        lastReportedDateTime: '2026-11-28T10:00:00.1234567+01:00',
      });
      expect(harness.emulator.store.statusesOf(configurationId(targetKey)).has('new-status')).toBe(
        true,
      );

      const deleted = await harness.gateway.gql(DELETE, { path, c, s: 'new-status' }, AUTH);
      expect(deleted.body.data?.deleteDeviceConfigurationUserStatus).toEqual({
        deletedId: 'new-status',
        requestId: expect.any(String) as unknown,
      });
      expect(harness.emulator.requests[1]).toMatchObject({
        method: 'DELETE',
        url: `${collection}/new-status`,
        body: '',
      });
      expect(harness.emulator.store.statusesOf(configurationId(targetKey)).has('new-status')).toBe(
        false,
      );
    },
  );

  it('create without an id lets Graph assign one', async () => {
    const c = configurationId('windows10-general');
    const { body } = await harness.gateway.gql(
      CREATE,
      { input: { deviceConfigurationId: c, status: 'COMPLIANT' } },
      AUTH,
    );
    const id = (body.data?.createDeviceConfigurationUserStatus as { userStatus: { id: string } })
      .userStatus.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a create answered 503 is never sent again', async () => {
    harness.emulator.faults.add({ method: 'POST', status: 503 });
    const c = configurationId('windows10-general');
    const { body } = await harness.gateway.gql(
      CREATE,
      { input: { deviceConfigurationId: c, status: 'COMPLIANT' } },
      AUTH,
    );
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'UPSTREAM_ERROR',
      graph: { status: 503 },
    });
    expect(harness.emulator.requests).toHaveLength(1);
  });

  it('a create whose connection reset after sending is never sent again', async () => {
    harness.emulator.faults.add({ method: 'POST', reset: 'before-headers' });
    const c = configurationId('windows10-general');
    const { body } = await harness.gateway.gql(
      CREATE,
      { input: { deviceConfigurationId: c, status: 'COMPLIANT' } },
      AUTH,
    );
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(harness.emulator.requests).toHaveLength(1);
  });

  it('a delete answered 429 with Retry-After is retried (DELETE is idempotent)', async () => {
    harness.emulator.faults.add({ method: 'DELETE', status: 429, retryAfter: '0.1', times: 1 });
    const c = configurationId('windows10-general');
    harness.emulator.store.put(c, { id: 'doomed' });
    const { body } = await harness.gateway.gql(DELETE, { c, s: 'doomed' }, AUTH);
    expect(body.errors).toBeUndefined();
    expect(harness.emulator.requests.map((r) => r.method)).toEqual(['DELETE', 'DELETE']);
  });

  it('an existing id → CONFLICT', async () => {
    const c = configurationId('windows10-general');
    harness.emulator.store.put(c, { id: 'taken' });
    const { body } = await harness.gateway.gql(
      CREATE,
      { input: { deviceConfigurationId: c, id: 'taken' } },
      AUTH,
    );
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      graph: { status: 409 },
    });
  });

  it.each([
    ['a bad id', { id: '../x' }, 'id'],
    ['an explicit null id', { id: null }, 'id'],
    ['an explicit null status', { status: null }, 'status'],
    ['a bad configuration id', { deviceConfigurationId: 'a/b' }, 'deviceConfigurationId'],
  ])('create with %s → BAD_USER_INPUT, nothing sent', async (_name, change, argument) => {
    const input = {
      deviceConfigurationId: configurationId('windows10-general'),
      status: 'COMPLIANT',
      ...change,
    };
    const { body } = await harness.gateway.gql(CREATE, { input }, AUTH);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('delete without a token → UNAUTHENTICATED, nothing sent; a missing one → NOT_FOUND', async () => {
    const c = configurationId('windows10-general');
    const anonymous = await harness.gateway.gql(DELETE, { c, s: 'x' });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(harness.emulator.requests).toHaveLength(0);
    const missing = await harness.gateway.gql(DELETE, { c, s: 'x' }, AUTH);
    expect(missing.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
