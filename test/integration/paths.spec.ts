import { configurationId, userStatusId } from '../../emulator/store';
import {
  AUTH,
  GET_QUERY,
  SELECT_ALL,
  TOKEN,
  UPDATE_MUTATION,
  startHarness,
  SEEDED_PATHS,
} from '../helpers/harness';
import type { Harness } from '../helpers/harness';

const PATHS = SEEDED_PATHS;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

describe('updateDeviceConfigurationUserStatus on each path', () => {
  it.each(PATHS)(
    '%s sends one PATCH to its Graph path',
    async (path, configKey, targetKey, segment) => {
      const c = configurationId(configKey);
      const s = userStatusId(targetKey, 1);
      const { status, body } = await harness.gateway.gql(
        UPDATE_MUTATION,
        {
          input: {
            path,
            deviceConfigurationId: c,
            userStatusId: s,
            status: 'NOT_APPLICABLE',
            devicesCount: 7,
          },
        },
        AUTH,
      );

      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      const [request, ...others] = harness.emulator.requests;
      expect(others).toHaveLength(0);
      expect(request?.method).toBe('PATCH');
      expect(request?.url).toBe(
        `/beta/deviceManagement/deviceConfigurations/${c}${segment}/userStatuses/${s}`,
      );
      expect(JSON.parse(request?.body ?? '')).toEqual({ status: 'notApplicable', devicesCount: 7 });
      expect(request?.headers).toMatchObject({
        authorization: `Bearer ${TOKEN}`,
        accept: 'application/json',
        'accept-encoding': 'gzip',
        'content-type': 'application/json',
        'user-agent': expect.stringMatching(/^intune-graphql-gateway\/\d+\.\d+\.\d+/) as unknown,
        'client-request-id': expect.stringMatching(GUID) as unknown,
      });
      expect(body.data?.updateDeviceConfigurationUserStatus).toEqual({
        userStatus: {
          id: s,
          status: 'NOT_APPLICABLE',
          lastReportedDateTime: '2026-11-02T08:11:00.1234567Z',
          userDisplayName: 'Alex Wilber',
          userPrincipalName: 'AlexW@contoso.onmicrosoft.com',
          devicesCount: 7,
        },
        requestId: expect.stringMatching(GUID) as unknown,
        clientRequestId: request?.headers['client-request-id'],
      });
      expect(harness.emulator.store.statusesOf(configurationId(targetKey)).get(s)?.status).toBe(
        'notApplicable',
      );
    },
  );

  it.each(PATHS)(
    '%s reads through the query with one GET',
    async (path, configKey, targetKey, segment) => {
      const c = configurationId(configKey);
      const s = userStatusId(targetKey, 2);
      const { body } = await harness.gateway.gql(GET_QUERY, { path, c, s }, AUTH);

      expect(body.errors).toBeUndefined();
      expect(body.data?.deviceConfigurationUserStatus).toMatchObject({
        id: s,
        status: 'NOT_APPLICABLE',
        userDisplayName: 'Megan Bowen',
      });
      expect(harness.emulator.requests.map((r) => [r.method, r.url, r.body])).toEqual([
        [
          'GET',
          `/beta/deviceManagement/deviceConfigurations/${c}${segment}/userStatuses/${s}?${SELECT_ALL}`,
          '',
        ],
      ]);
      expect(harness.emulator.requests[0]?.headers['content-type']).toBeUndefined();
    },
  );

  it('uses DEVICE_CONFIGURATION when path is left out', async () => {
    const c = configurationId('windows10-general');
    const s = userStatusId('windows10-general', 0);
    const { body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      { input: { deviceConfigurationId: c, userStatusId: s, userDisplayName: 'Adele V.' } },
      AUTH,
    );

    expect(body.errors).toBeUndefined();
    expect(harness.emulator.requests.map((r) => [r.method, r.url, r.body])).toEqual([
      [
        'PATCH',
        `/beta/deviceManagement/deviceConfigurations/${c}/userStatuses/${s}`,
        '{"userDisplayName":"Adele V."}',
      ],
    ]);
  });

  it('answers a 204 PATCH with one follow-up GET of the same path', async () => {
    harness.emulator.settings.patchResponse = 'no-content';
    const c = configurationId('macos-scep');
    const s = userStatusId('macos-root', 0);
    const { body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      {
        input: {
          path: 'MACOS_SCEP_ROOT_CERTIFICATE',
          deviceConfigurationId: c,
          userStatusId: s,
          status: 'REMEDIATED',
        },
      },
      AUTH,
    );

    const path = `/beta/deviceManagement/deviceConfigurations/${c}/microsoft.graph.macOSScepCertificateProfile/rootCertificate/userStatuses/${s}`;
    expect(body.errors).toBeUndefined();
    expect(harness.emulator.requests.map((r) => [r.method, r.url])).toEqual([
      ['PATCH', path],
      ['GET', path],
    ]);
    const [patch, get] = harness.emulator.requests;
    expect(get?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(get?.headers['client-request-id']).toBe(patch?.headers['client-request-id']);
    expect(body.data?.updateDeviceConfigurationUserStatus).toMatchObject({
      userStatus: { id: s, status: 'REMEDIATED', userDisplayName: 'Adele Vance' },
      clientRequestId: patch?.headers['client-request-id'],
    });
  });

  it('forwards the caller client-request-id when it is a GUID, and no other incoming header', async () => {
    const callerId = '9f4c3a1e-2b7d-4c8e-a1f0-3d5b6c7e8f90';
    await harness.gateway.gql(
      GET_QUERY,
      { c: configurationId('windows10-general'), s: userStatusId('windows10-general', 0) },
      {
        ...AUTH,
        'client-request-id': callerId,
        cookie: 'session=secret',
        'x-forwarded-for': '10.0.0.1',
        'x-custom': 'nope',
      },
    );
    const headers = harness.emulator.requests[0]?.headers ?? {};
    expect(headers['client-request-id']).toBe(callerId);
    expect(headers.cookie).toBeUndefined();
    expect(headers['x-forwarded-for']).toBeUndefined();
    expect(headers['x-custom']).toBeUndefined();
  });

  it('replaces a client-request-id that is not a GUID with a fresh one', async () => {
    await harness.gateway.gql(
      GET_QUERY,
      { c: configurationId('windows10-general'), s: userStatusId('windows10-general', 0) },
      { ...AUTH, 'client-request-id': 'not-a-guid' },
    );
    expect(harness.emulator.requests[0]?.headers['client-request-id']).toMatch(GUID);
  });
});
