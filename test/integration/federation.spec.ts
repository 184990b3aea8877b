import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, UPDATE_MUTATION, startGateway, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ env: { FEDERATION: 'true' } });
});
afterAll(() => harness.close());

describe('Federation 2 subgraph mode (FEDERATION=true)', () => {
  it('serves _service { sdl } with the federation link and the whole API', async () => {
    const { body } = await harness.gateway.gql('{ _service { sdl } }');
    const sdl = (body.data?._service as { sdl: string }).sdl;
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.7"');
    expect(sdl).toMatch(
      /updateDeviceConfigurationUserStatus\([^)]*input: UpdateDeviceConfigurationUserStatusInput!/,
    );
    expect(sdl).toContain('enum UserStatusPath');
    expect(sdl).toContain('scalar DateTimeOffset');
  });

  it('marks every value type @shareable (a neighbour may define PageInfo), and the root types not', async () => {
    const { body } = await harness.gateway.gql('{ _service { sdl } }');
    const sdl = (body.data?._service as { sdl: string }).sdl;
    for (const type of [
      'PageInfo',
      'DeviceConfigurationUserStatusConnection',
      'DeviceConfigurationUserStatusEdge',
      'UpdateDeviceConfigurationUserStatusPayload',
      'UpdateDeviceConfigurationUserStatusResult',
      'GraphOperationError',
      'DeleteDeviceConfigurationUserStatusPayload',
    ])
      expect(sdl).toMatch(new RegExp(`type ${type}\\s+@shareable\\s*\\{`));
    // The user status is an entity, found again by where it is; still @shareable, as it was as a value type.
    expect(sdl).toMatch(
      /type DeviceConfigurationUserStatus\s+@key\(fields: "path deviceConfigurationId id"\)\s+@shareable\s*\{/,
    );
    expect(sdl).toMatch(/type Query\s*\{/);
    expect(sdl).toMatch(/type Mutation\s*\{/);
    expect(sdl).toMatch(/type PageInfo[^}]*hasPreviousPage: Boolean![^}]*startCursor: String/);
  });

  it('serves _service { sdl } in production too, where introspection is off (composition needs it)', async () => {
    const production = await startGateway({
      GRAPH_BASE_URL: harness.emulator.baseUrl,
      NODE_ENV: 'production',
      FEDERATION: 'true',
    });
    try {
      const introspection = await production.gql('{ __schema { queryType { name } } }');
      expect(introspection.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const { body } = await production.gql('{ _service { sdl } }');
      expect((body.data?._service as { sdl: string }).sdl).toContain('type PageInfo');
    } finally {
      await production.close();
    }
  });

  it('still runs the mutation, with the DateTimeOffset passed through verbatim', async () => {
    const input = {
      path: 'ROOT_CERTIFICATE',
      deviceConfigurationId: configurationId('ios-scep'),
      userStatusId: userStatusId('ios-root', 0),
      status: 'REMEDIATED',
      lastReportedDateTime: '2017-01-01T00:00:17.7769392-08:00',
    };
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, { input }, AUTH);
    expect(body.errors).toBeUndefined();
    expect(body.data?.updateDeviceConfigurationUserStatus).toMatchObject({
      userStatus: {
        status: 'REMEDIATED',
        lastReportedDateTime: '2017-01-01T00:00:17.7769392-08:00',
      },
    });
    expect(harness.emulator.requests.at(-1)?.url).toContain('/rootCertificate/userStatuses/');
  });

  it('keeps UNKNOWN for status values the schema does not know', async () => {
    const c = configurationId('windows10-general');
    harness.emulator.store.put(c, { id: 'new-enum', status: 'somethingNew' });
    const { body } = await harness.gateway.gql(
      `{ deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "new-enum") { status } }`,
      undefined,
      AUTH,
    );
    expect(body.data?.deviceConfigurationUserStatus).toEqual({ status: 'UNKNOWN' });
  });

  it('keeps a failed entity null in its place however often the router sends the same _entities document', async () => {
    // graphql-jit, removed in issue #22, compiled a document on its 11th run and then answered `_entities: [good]`
    // for [good, bad]: the router could not match entities to references. Every run stays graphql-js's.
    const typename = { __typename: 'DeviceConfigurationUserStatus' };
    const good = {
      ...typename,
      path: 'DEVICE_CONFIGURATION',
      deviceConfigurationId: configurationId('windows10-general'),
      id: userStatusId('windows10-general', 0),
    };
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on DeviceConfigurationUserStatus { id } } }`;
    for (let run = 0; run < 12; run += 1) {
      const { body } = await harness.gateway.gql(
        query,
        { r: [good, { ...good, id: 'a/b' }] },
        AUTH,
      );
      expect(body.data).toEqual({ _entities: [{ id: good.id }, null] });
      expect(body.errors?.map((error) => error.path)).toEqual([['_entities', 1]]);
    }
  });
});
