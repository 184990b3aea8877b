import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Kind, parse } from 'graphql';
import type { DocumentNode } from 'graphql';
import { subgraphTypeDefs } from '../../src/graphql/federation';
import { AUTH, TOKEN, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

// A usual neighbour: its own entities, Relay connections with the full PageInfo, and a DateTimeOffset of its own.
const DEVICES_SDL = parse(/* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  scalar DateTimeOffset

  type PageInfo @shareable {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type ManagedDevice @key(fields: "id") {
    id: ID!
    deviceName: String!
    lastSyncDateTime: DateTimeOffset
  }

  type ManagedDeviceEdge {
    cursor: String!
    node: ManagedDevice!
  }

  type ManagedDeviceConnection {
    edges: [ManagedDeviceEdge!]!
    pageInfo: PageInfo!
  }

  type Query {
    managedDevices(first: Int, after: String): ManagedDeviceConnection!
  }
`);

const DEVICES = [
  { id: 'd1', deviceName: 'LAPTOP-1', lastSyncDateTime: '2026-11-01T08:10:00.1234567Z' },
  { id: 'd2', deviceName: 'PHONE-2', lastSyncDateTime: '2026-11-02T09:00:00+01:00' },
];

const SCHEMA_DIR = path.join(__dirname, '..', '..', 'schema');
const schemaFiles = () =>
  readdirSync(SCHEMA_DIR)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(SCHEMA_DIR, file), 'utf8'));

const compose = (intune: DocumentNode) =>
  composeServices([
    { name: 'intune', typeDefs: intune, url: 'http://intune.invalid/graphql' },
    { name: 'devices', typeDefs: DEVICES_SDL, url: 'http://devices.invalid/graphql' },
  ]);

const errorCodes = (result: ReturnType<typeof compose>) =>
  [...new Set((result.errors ?? []).map((error) => String(error.extensions.code)))].sort();

describe('composition with a usual subgraph (@apollo/composition)', () => {
  it('composes: PageInfo is the full Relay type and @shareable, like the neighbour', () => {
    const result = compose(subgraphTypeDefs(schemaFiles()));
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toMatch(
      /type PageInfo\b[^{]*\{[^}]*hasPreviousPage[^}]*startCursor/,
    );
  });

  it('would not compose with the two-field PageInfo this gateway had (the bug this fixes)', () => {
    const twoFields = schemaFiles().map((file) =>
      file.replace(/\n {2}"[^"\n]*"\n {2}(hasPreviousPage|startCursor): [^\n]*/g, ''),
    );
    expect(twoFields.join()).not.toContain('hasPreviousPage');
    expect(errorCodes(compose(subgraphTypeDefs(twoFields)))).toEqual(['SATISFIABILITY_ERROR']);
  });

  it('would not compose without @shareable on the value types', () => {
    const document = subgraphTypeDefs(schemaFiles());
    const bare = {
      ...document,
      definitions: document.definitions.map((definition) =>
        definition.kind === Kind.OBJECT_TYPE_DEFINITION
          ? { ...definition, directives: [] }
          : definition,
      ),
    };
    expect(errorCodes(compose(bare))).toEqual(['INVALID_FIELD_SHARING']);
  });
});

describe('a query through @apollo/gateway (standing in for Apollo Router), over HTTP', () => {
  let harness: Harness;
  const stops: Array<() => Promise<void>> = [];
  const devicesAuthorization: Array<string | undefined> = [];
  let gatewayUrl: string;

  beforeAll(async () => {
    harness = await startHarness({ env: { FEDERATION: 'true' } });
    const devices = new ApolloServer({
      plugins: [ApolloServerPluginInlineTraceDisabled()],
      schema: buildSubgraphSchema([
        {
          typeDefs: DEVICES_SDL,
          resolvers: {
            Query: {
              managedDevices: () => ({
                edges: DEVICES.map((node) => ({ cursor: `c-${node.id}`, node })),
                pageInfo: {
                  hasNextPage: false,
                  hasPreviousPage: false,
                  startCursor: 'c-d1',
                  endCursor: 'c-d2',
                },
              }),
            },
          },
        },
      ]),
    });
    const devicesServer = await startStandaloneServer(devices, {
      listen: { port: 0, host: '127.0.0.1' },
      context: ({ req }) => {
        devicesAuthorization.push(req.headers.authorization);
        return Promise.resolve({});
      },
    });
    stops.push(() => devices.stop());

    const { body } = await harness.gateway.gql('{ _service { sdl } }');
    const intuneSdl = parse((body.data?._service as { sdl: string }).sdl);
    const composed = composeServices([
      { name: 'intune', typeDefs: intuneSdl, url: harness.gateway.url },
      { name: 'devices', typeDefs: DEVICES_SDL, url: devicesServer.url },
    ]);
    expect(composed.errors).toBeUndefined();

    // docs/federation.md: the caller's Authorization goes on to every subgraph.
    const gateway = new ApolloGateway({
      supergraphSdl: composed.supergraphSdl!,
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource<{ authorization?: string }>({
          url,
          willSendRequest(options) {
            // A caller's operation (not a health check or a schema load) carries the caller's context.
            if ('incomingRequestContext' in options && options.context.authorization)
              options.request.http?.headers.set('authorization', options.context.authorization);
          },
        }),
    });
    const router = new ApolloServer({ gateway });
    const routerServer = await startStandaloneServer(router, {
      listen: { port: 0, host: '127.0.0.1' },
      context: ({ req }) => Promise.resolve({ authorization: req.headers.authorization }),
    });
    stops.push(() => router.stop());
    gatewayUrl = routerServer.url;
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await harness.close();
  });

  const viaRouter = async (query: string, variables: object, headers: Record<string, string>) => {
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return {
      status: response.status,
      body: (await response.json()) as {
        data?: Record<string, unknown> | null;
        errors?: Array<{ message: string; extensions?: { code?: string } }>;
      },
    };
  };

  const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
  const BOTH = `query Both($c: ID!) {
    deviceConfigurationUserStatuses(deviceConfigurationId: $c, first: 2) { edges { cursor } nodes { id status } ${PAGE_INFO} }
    managedDevices(first: 2) { edges { node { id deviceName lastSyncDateTime } } ${PAGE_INFO} }
  }`;
  const C = 'fb2e09f7-878d-4440-aa28-935f7a56e498';

  it('answers one query from both subgraphs, with the Authorization header forwarded to each', async () => {
    const { status, body } = await viaRouter(BOTH, { c: C }, AUTH);
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    const statuses = body.data?.deviceConfigurationUserStatuses as {
      edges: Array<{ cursor: string }>;
      nodes: unknown[];
      pageInfo: unknown;
    };
    expect(statuses.nodes).toHaveLength(2);
    // The emulator seeds three user statuses per configuration: a second page follows.
    expect(statuses.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: statuses.edges[0]!.cursor,
      endCursor: statuses.edges[1]!.cursor,
    });
    expect(body.data?.managedDevices).toEqual({
      edges: DEVICES.map((node) => ({ node })),
      pageInfo: {
        hasNextPage: false,
        hasPreviousPage: false,
        startCursor: 'c-d1',
        endCursor: 'c-d2',
      },
    });
    const list = harness.emulator.requests.at(-1);
    expect(list?.method).toBe('GET');
    expect(list?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(devicesAuthorization.at(-1)).toBe(`Bearer ${TOKEN}`);
  });

  it('follows endCursor to the next page through the router', async () => {
    const first = await viaRouter(BOTH, { c: C }, AUTH);
    const after = (
      first.body.data?.deviceConfigurationUserStatuses as { pageInfo: { endCursor: string } }
    ).pageInfo.endCursor;
    const { body } = await viaRouter(
      `query Next($c: ID!, $after: String) {
        deviceConfigurationUserStatuses(deviceConfigurationId: $c, first: 2, after: $after) { edges { cursor } nodes { id } ${PAGE_INFO} }
      }`,
      { c: C, after },
      AUTH,
    );
    expect(body.errors).toBeUndefined();
    const last = body.data?.deviceConfigurationUserStatuses as { edges: Array<{ cursor: string }> };
    expect(last).toEqual({
      edges: [{ cursor: expect.any(String) as unknown }],
      nodes: [{ id: expect.any(String) as unknown }],
      pageInfo: {
        hasNextPage: false,
        hasPreviousPage: false,
        startCursor: last.edges[0]!.cursor,
        endCursor: last.edges[0]!.cursor,
      },
    });
  });

  it('runs the mutation through the router, the DateTimeOffset verbatim', async () => {
    const { body } = await viaRouter(
      `mutation($input: UpdateDeviceConfigurationUserStatusInput!) {
        updateDeviceConfigurationUserStatus(input: $input) { userStatus { id status lastReportedDateTime } }
      }`,
      {
        input: {
          deviceConfigurationId: C,
          userStatusId: '2f2248c2-757e-4cb8-ac40-d957f8896c4f',
          status: 'REMEDIATED',
          lastReportedDateTime: '2017-01-01T00:00:17.7769392-08:00',
        },
      },
      AUTH,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.updateDeviceConfigurationUserStatus).toEqual({
      userStatus: {
        id: '2f2248c2-757e-4cb8-ac40-d957f8896c4f',
        status: 'REMEDIATED',
        lastReportedDateTime: '2017-01-01T00:00:17.7769392-08:00',
      },
    });
    expect(harness.emulator.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
  });

  it('without a token, the error code comes through the router and Graph is never called', async () => {
    const sent = harness.emulator.requests.length;
    const { body } = await viaRouter(
      `query($c: ID!, $s: ID!) {
        deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) { id }
        managedDevices(first: 2) { edges { node { id } } }
      }`,
      { c: C, s: '2f2248c2-757e-4cb8-ac40-d957f8896c4f' },
      {},
    );
    expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(body.data).toEqual({
      deviceConfigurationUserStatus: null,
      managedDevices: { edges: [{ node: { id: 'd1' } }, { node: { id: 'd2' } }] },
    });
    expect(harness.emulator.requests.length).toBe(sent);
  });
});
