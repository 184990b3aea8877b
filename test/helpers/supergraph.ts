import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import type { DocumentNode } from 'graphql';
import { startHarness } from './harness';
import type { Harness } from './harness';

/** The resolver map `buildSubgraphSchema` takes, from its public signature (not from the package's dist/). */
export type SubgraphResolvers = NonNullable<
  Extract<Parameters<typeof buildSubgraphSchema>[0], { resolvers?: unknown }>['resolvers']
>;

export interface RunningServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** A neighbour subgraph written with `@apollo/subgraph`, on a free loopback port; records each Authorization. */
export async function startSubgraph(
  typeDefs: DocumentNode,
  resolvers: SubgraphResolvers,
  authorizations: Array<string | undefined> = [],
): Promise<RunningServer> {
  const server = new ApolloServer({
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
  });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: ({ req }) => {
      authorizations.push(req.headers.authorization);
      return Promise.resolve({});
    },
  });
  return { url, stop: () => server.stop() };
}

export interface Service {
  readonly name: string;
  readonly url: string;
  readonly typeDefs: DocumentNode;
}

export interface RouterAnswer {
  readonly status: number;
  readonly body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
  };
}

export interface Router extends RunningServer {
  post(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<RouterAnswer>;
}

/**
 * The services composed with `@apollo/composition` behind the real `@apollo/gateway` (standing in for Apollo
 * Router), which forwards the caller's Authorization to every subgraph as docs/federation.md shows.
 */
export async function startRouter(services: readonly Service[]): Promise<Router> {
  const composed = composeServices([...services]);
  if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
  const gateway = new ApolloGateway({
    supergraphSdl: composed.supergraphSdl,
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
  const { url } = await startStandaloneServer(router, {
    listen: { port: 0, host: '127.0.0.1' },
    context: ({ req }) => Promise.resolve({ authorization: req.headers.authorization }),
  });
  return {
    url,
    stop: () => router.stop(),
    async post(query, variables, headers = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as RouterAnswer['body'] };
    },
  };
}

/** The six values of `UserStatusPath`: a neighbour that uses the enum must define all of them. */
export const USER_STATUS_PATHS = `
  DEVICE_CONFIGURATION ROOT_CERTIFICATE IOS_SCEP_ROOT_CERTIFICATE MACOS_SCEP_ROOT_CERTIFICATE
  WINDOWS10_VPN_IDENTITY_CERTIFICATE WINDOWS_PHONE81_VPN_IDENTITY_CERTIFICATE`;

/**
 * A usual neighbour: an audit service that holds where user statuses are and references them by their key (the
 * SDL docs/federation.md shows), with the given `UserStatusPath` values.
 */
export const auditSdl = (paths = USER_STATUS_PATHS): DocumentNode =>
  parse(/* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

    enum UserStatusPath { ${paths} }

    type DeviceConfigurationUserStatus @key(fields: "path deviceConfigurationId id", resolvable: false) {
      path: UserStatusPath!
      deviceConfigurationId: ID!
      id: ID!
    }

    type AuditEntry {
      action: String!
      userStatus: DeviceConfigurationUserStatus!
    }

    type Query {
      auditEntries: [AuditEntry!]!
    }
  `);

export interface UserStatusReference {
  readonly path: string;
  readonly deviceConfigurationId: string;
  readonly id: string;
}

export interface AuditEntry {
  readonly action: string;
  readonly userStatus: UserStatusReference;
}

export interface Federation {
  /** The emulator (in Intune mode) and the gateway in Federation mode. */
  readonly harness: Harness;
  readonly router: Router;
  /** The gateway's subgraph SDL, as composition read it. */
  readonly intuneSdl: DocumentNode;
  /** What the audit subgraph answers from now on. */
  setEntries(entries: readonly AuditEntry[]): void;
  /** Every Authorization header the audit subgraph received. */
  readonly auditAuthorizations: ReadonlyArray<string | undefined>;
  close(): Promise<void>;
}

/** The gateway (FEDERATION=true, the emulator in Intune mode) and the audit subgraph behind `@apollo/gateway`. */
export async function startFederation(): Promise<Federation> {
  const harness = await startHarness({
    env: { FEDERATION: 'true' },
    emulator: { mode: 'intune', quotas: { enabled: false } },
  });
  let entries: readonly AuditEntry[] = [];
  const auditAuthorizations: Array<string | undefined> = [];
  const audit = await startSubgraph(
    auditSdl(),
    { Query: { auditEntries: () => entries } },
    auditAuthorizations,
  );
  const { body } = await harness.gateway.gql('{ _service { sdl } }');
  const intuneSdl = parse((body.data?._service as { sdl: string }).sdl);
  const router = await startRouter([
    { name: 'intune', url: harness.gateway.url, typeDefs: intuneSdl },
    { name: 'audit', url: audit.url, typeDefs: auditSdl() },
  ]);
  return {
    harness,
    router,
    intuneSdl,
    auditAuthorizations,
    setEntries: (next) => {
      entries = next;
    },
    async close() {
      await router.stop();
      await audit.stop();
      await harness.close();
    },
  };
}
