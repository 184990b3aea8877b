import { composeServices } from '@apollo/composition';
import { configurationId, userStatusId } from '../../emulator';
import { AUTH, TOKEN } from '../helpers/harness';
import type { Harness } from '../helpers/harness';
import { auditSdl, startFederation } from '../helpers/supergraph';
import type { Federation, Router, UserStatusReference } from '../helpers/supergraph';

/**
 * The gateway in Federation mode beside a neighbour written with `@apollo/subgraph` (an audit service that holds
 * where user statuses are), behind the real `@apollo/gateway`, with the emulator in Intune mode. The neighbour
 * references user statuses by their key `path deviceConfigurationId id`.
 */
const reference = (path: string, configuration: string, holder: string, index: number) => ({
  path,
  deviceConfigurationId: configurationId(configuration),
  id: userStatusId(holder, index),
});
const general = reference('DEVICE_CONFIGURATION', 'windows10-general', 'windows10-general', 0);
const vpn = reference('WINDOWS10_VPN_IDENTITY_CERTIFICATE', 'windows10-vpn', 'windows10-pkcs', 1);
const scep = reference('MACOS_SCEP_ROOT_CERTIFICATE', 'macos-scep', 'macos-root', 2);

let federation: Federation;
let harness: Harness;
let router: Router;
beforeAll(async () => {
  federation = await startFederation();
  ({ harness, router } = federation);
});
afterAll(() => federation?.close());
beforeEach(() => {
  harness.emulator.reset();
  federation.setEntries([]);
});

const AUDIT_QUERY = /* GraphQL */ `
  {
    auditEntries {
      action
      userStatus {
        path
        deviceConfigurationId
        id
        status
        userDisplayName
      }
    }
  }
`;

interface BatchBody {
  requests: Array<{ method: string; url: string }>;
}

describe('user statuses as entities', () => {
  it("resolves a neighbour's reference from Graph, with the caller's token", async () => {
    federation.setEntries([{ action: 'reset by admin', userStatus: general }]);
    harness.emulator.store.put(general.deviceConfigurationId, {
      id: general.id,
      status: 'nonCompliant',
      userDisplayName: 'Written into Graph by this test',
    });
    const { body } = await router.post(AUDIT_QUERY, {}, AUTH);
    expect(body.errors).toBeUndefined();
    expect(body.data?.auditEntries).toEqual([
      {
        action: 'reset by admin',
        userStatus: {
          ...general,
          status: 'NON_COMPLIANT',
          userDisplayName: 'Written into Graph by this test',
        },
      },
    ]);
    // One reference: a plain GET of its path, asking only for what the router selected.
    expect(harness.emulator.requests).toEqual([
      expect.objectContaining({
        method: 'GET',
        url: `/beta/deviceManagement/deviceConfigurations/${general.deviceConfigurationId}/userStatuses/${general.id}?$select=id,status,userDisplayName`,
      }),
    ]);
    expect(harness.emulator.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(federation.auditAuthorizations.at(-1)).toBe(`Bearer ${TOKEN}`);
  });

  it('sends three references to Graph as one $batch', async () => {
    federation.setEntries(
      [general, vpn, scep].map((userStatus, index) => ({ action: `change ${index}`, userStatus })),
    );
    const { body } = await router.post(AUDIT_QUERY, {}, AUTH);
    expect(body.errors).toBeUndefined();
    const answered = (body.data?.auditEntries as Array<{ userStatus: UserStatusReference }>).map(
      (entry) => entry.userStatus,
    );
    expect(answered).toEqual(
      [general, vpn, scep].map((ref) => expect.objectContaining(ref) as unknown),
    );
    expect(harness.emulator.requests).toHaveLength(1);
    const [batch] = harness.emulator.requests;
    expect(batch).toMatchObject({ method: 'POST', url: '/beta/$batch' });
    const items = (JSON.parse(batch!.body) as BatchBody).requests;
    expect(items.map((item) => item.method)).toEqual(['GET', 'GET', 'GET']);
    expect(items.map((item) => item.url.split('?')[0])).toEqual([
      `/deviceManagement/deviceConfigurations/${general.deviceConfigurationId}/userStatuses/${general.id}`,
      `/deviceManagement/deviceConfigurations/${vpn.deviceConfigurationId}/microsoft.graph.windows10VpnConfiguration/identityCertificate/userStatuses/${vpn.id}`,
      `/deviceManagement/deviceConfigurations/${scep.deviceConfigurationId}/microsoft.graph.macOSScepCertificateProfile/rootCertificate/userStatuses/${scep.id}`,
    ]);
  });

  it('refuses bad ids in references with the usual errors; only the good one reaches Graph', async () => {
    federation.setEntries([
      { action: 'good', userStatus: general },
      { action: 'slash', userStatus: { ...general, id: 'a/b' } },
      { action: 'empty', userStatus: { ...vpn, deviceConfigurationId: '' } },
    ]);
    const { body } = await router.post(AUDIT_QUERY, {}, AUTH);
    expect(body.errors?.map((error) => [error.extensions?.code, error.message])).toEqual([
      [
        'BAD_USER_INPUT',
        'id contains a character that is not allowed (/ \\ ? # %, whitespace, a control character or a lone surrogate).',
      ],
      ['BAD_USER_INPUT', 'deviceConfigurationId is empty.'],
    ]);
    expect(body.errors?.map((error) => error.extensions?.argument)).toEqual([
      'id',
      'deviceConfigurationId',
    ]);
    expect(harness.emulator.requests).toHaveLength(1);
    expect(harness.emulator.requests[0]?.url).toContain(`/userStatuses/${general.id}?`);
  });

  it('refuses a reference that is no key, sent straight to _entities, and calls no Graph', async () => {
    const { body } = await harness.gateway.gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on DeviceConfigurationUserStatus { id } } }`,
      {
        r: [
          { __typename: 'DeviceConfigurationUserStatus', ...general, path: 'constructor' },
          { __typename: 'DeviceConfigurationUserStatus', ...general, id: 42 },
        ],
      },
      AUTH,
    );
    expect(body.data).toEqual({ _entities: [null, null] });
    expect(body.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [['_entities', 0], 'BAD_USER_INPUT'],
      [['_entities', 1], 'BAD_USER_INPUT'],
    ]);
    expect(harness.emulator.requests).toEqual([]);
  });

  it('does not compose when the neighbour leaves out a path value (UserStatusPath is an input too)', () => {
    const composed = composeServices([
      { name: 'audit', url: 'http://audit.invalid', typeDefs: auditSdl('DEVICE_CONFIGURATION') },
      { name: 'intune', url: 'http://intune.invalid', typeDefs: federation.intuneSdl },
    ]);
    expect(composed.errors?.map((error) => error.extensions.code)).toContain('ENUM_VALUE_MISMATCH');
  });
});
