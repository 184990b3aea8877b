import { configurationId, userStatusId } from '../../emulator';
import { AUTH, BULK_MUTATION, SEEDED_PATHS, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

/**
 * Every user status the gateway returns says where it is: `path` and `deviceConfigurationId` as the request named
 * them, beside Graph's `id` (the entity key other subgraphs reference it by, docs/federation.md). Graph's body
 * says neither, so they come from the request: reads, lists, updates (204 read-backs too), bulk results, creates.
 */
const LOCATION = 'id path deviceConfigurationId';

let harness: Harness;
beforeAll(async () => {
  // Intune mode: PATCH answers 204, so updates return what the follow-up GET read.
  harness = await startHarness({ emulator: { mode: 'intune', quotas: { enabled: false } } });
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

const ask = async (query: string, variables: Record<string, unknown>) => {
  const { body } = await harness.gateway.gql(query, variables, AUTH);
  expect(body.errors).toBeUndefined();
  return body.data!;
};

// Intune's metadata refuses ROOT_CERTIFICATE on an uncast configuration (docs/paths.md): the other five paths.
describe.each(SEEDED_PATHS.filter(([path]) => path !== 'ROOT_CERTIFICATE'))(
  '%s',
  (path, configuration, holder) => {
    const c = configurationId(configuration);
    const s = userStatusId(holder, 1);
    const where = { id: s, path, deviceConfigurationId: c };

    it('a read', async () => {
      const data = await ask(
        `query($c: ID!, $s: ID!) { deviceConfigurationUserStatus(path: ${path}, deviceConfigurationId: $c, userStatusId: $s) { ${LOCATION} } }`,
        { c, s },
      );
      expect(data.deviceConfigurationUserStatus).toEqual(where);
    });

    it('a list, in nodes and edges', async () => {
      const data = await ask(
        `query($c: ID!) { deviceConfigurationUserStatuses(path: ${path}, deviceConfigurationId: $c, first: 3) {
          nodes { ${LOCATION} } edges { node { ${LOCATION} } } } }`,
        { c },
      );
      const list = data.deviceConfigurationUserStatuses as {
        nodes: unknown[];
        edges: Array<{ node: unknown }>;
      };
      expect(list.nodes).toContainEqual(where);
      expect(list.edges.map((edge) => edge.node)).toEqual(list.nodes);
    });

    it('an update (Intune answers 204: the read-back)', async () => {
      const data = await ask(
        `mutation($input: UpdateDeviceConfigurationUserStatusInput!) {
          updateDeviceConfigurationUserStatus(input: $input) { userStatus { ${LOCATION} status } } }`,
        { input: { path, deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' } },
      );
      expect(data.updateDeviceConfigurationUserStatus).toEqual({
        userStatus: { ...where, status: 'COMPLIANT' },
      });
    });
  },
);

it('bulk results, each with its own location', async () => {
  const inputs = SEEDED_PATHS.filter(([path]) => path !== 'ROOT_CERTIFICATE').map(
    ([path, configuration, holder]) => ({
      path,
      deviceConfigurationId: configurationId(configuration),
      userStatusId: userStatusId(holder, 0),
      status: 'ERROR',
    }),
  );
  const data = await ask(BULK_MUTATION.replace('id\n', `${LOCATION}\n`), { inputs });
  const results = data.updateDeviceConfigurationUserStatuses as Array<{ userStatus: unknown }>;
  expect(results.map((result) => result.userStatus)).toEqual(
    inputs.map((input) => ({
      id: input.userStatusId,
      path: input.path,
      deviceConfigurationId: input.deviceConfigurationId,
      status: 'ERROR',
    })),
  );
});

it('a create, and the configuration id as the caller spelled it (Intune answers GUIDs in upper case)', async () => {
  const c = configurationId('windows10-general').toUpperCase();
  const data = await ask(
    `mutation($input: CreateDeviceConfigurationUserStatusInput!) {
      createDeviceConfigurationUserStatus(input: $input) { userStatus { ${LOCATION} } } }`,
    { input: { deviceConfigurationId: c, id: 'created-1', status: 'COMPLIANT' } },
  );
  expect(data.createDeviceConfigurationUserStatus).toEqual({
    userStatus: { id: 'created-1', path: 'DEVICE_CONFIGURATION', deviceConfigurationId: c },
  });
});
