import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config';
import { startEmulator } from '../../emulator/server';
import type { Emulator, EmulatorOptions } from '../../emulator/server';
import { createLogger } from '../../src/observability/logging';
import { createGatewayServer } from '../../src/gateway';
import { checkTokenHygiene, unwatchTokens, watchTokens } from './token-hygiene';

export { BULK_MUTATION } from './documents';
export { checkTokenHygiene } from './token-hygiene';

export { waitFor } from './wait';

export interface GraphQLResponse {
  readonly status: number;
  readonly body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
  };
}

export interface GraphQLRequestOptions {
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  readonly operationName?: string;
  readonly headers?: Record<string, string>;
}

export interface Gateway {
  readonly url: string;
  readonly logs: string[];
  post(body: unknown, headers?: Record<string, string>): Promise<GraphQLResponse>;
  /** The named-options form: `send({ query, variables, headers, operationName })`. */
  send(options: GraphQLRequestOptions): Promise<GraphQLResponse>;
  gql(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

/** Every log line the gateway writes, kept in memory (tests check that no token ever appears). */
export function memoryLog(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
}

/** The real gateway, listening on a free loopback port, with the given environment. Logs at trace, always. */
export async function startGateway(env: Record<string, string>): Promise<Gateway> {
  const logs: string[] = [];
  // The token check reads every log line: a gateway that logs less would make it blind.
  const config = loadConfig({ ...env, LOG_LEVEL: 'trace' });
  const app: FastifyInstance = await createGatewayServer(config, {
    logger: createLogger(config.logLevel, memoryLog(logs)),
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `${address}/graphql`;
  const tokensSent = new Set<string>();
  const entry = { logs, tokens: tokensSent, checked: 0 };
  watchTokens(entry);
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const token = /^\S+\s+(\S{8,})/.exec(headers.authorization ?? '')?.[1];
    if (token) tokensSent.add(token);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] };
  };
  return {
    url,
    logs,
    post,
    gql: (query, variables, headers) => post({ query, variables }, headers),
    send: ({ headers, ...body }) => post(body, headers),
    async close() {
      await app.close();
      checkTokenHygiene();
      unwatchTokens(entry);
    },
  };
}

export interface Harness {
  readonly emulator: Emulator;
  readonly gateway: Gateway;
  close(): Promise<void>;
}

/** The emulator and the gateway wired to it, both on free ports. */
export async function startHarness(
  options: { emulator?: EmulatorOptions; env?: Record<string, string> } = {},
): Promise<Harness> {
  const emulator = await startEmulator(options.emulator);
  const gateway = await startGateway({ GRAPH_BASE_URL: emulator.baseUrl, ...options.env });
  return {
    emulator,
    gateway,
    async close() {
      await gateway.close();
      await emulator.close();
    },
  };
}

export const TOKEN = 'test-token-0123456789';
export const AUTH = { authorization: `Bearer ${TOKEN}` };

/** The explorer's example mutation (examples/operations/update.graphql), so the tests run what users see. */
export const UPDATE_MUTATION = readFileSync(
  path.join(__dirname, '..', '..', 'examples', 'operations', 'update.graphql'),
  'utf8',
);

export const GET_QUERY = /* GraphQL */ `
  query Get($path: UserStatusPath, $c: ID!, $s: ID!) {
    deviceConfigurationUserStatus(path: $path, deviceConfigurationId: $c, userStatusId: $s) {
      id
      status
      lastReportedDateTime
      userDisplayName
      userPrincipalName
      devicesCount
    }
  }
`;

/** The `$select` Graph receives for GET_QUERY's selection (every property, sorted). */
export const SELECT_ALL =
  '$select=devicesCount,id,lastReportedDateTime,status,userDisplayName,userPrincipalName';

/**
 * Each path variant, the configuration the caller names, the configuration whose statuses the path reaches in the
 * emulator's seed, and the segment Graph must see between `{c}` and `/userStatuses` (single slashes, as Graph's
 * docs write them once the seed's `//` is fixed).
 */
export const SEEDED_PATHS = [
  ['DEVICE_CONFIGURATION', 'windows10-general', 'windows10-general', ''],
  ['ROOT_CERTIFICATE', 'ios-scep', 'ios-root', '/rootCertificate'],
  [
    'IOS_SCEP_ROOT_CERTIFICATE',
    'ios-scep',
    'ios-root',
    '/microsoft.graph.iosScepCertificateProfile/rootCertificate',
  ],
  [
    'MACOS_SCEP_ROOT_CERTIFICATE',
    'macos-scep',
    'macos-root',
    '/microsoft.graph.macOSScepCertificateProfile/rootCertificate',
  ],
  [
    'WINDOWS10_VPN_IDENTITY_CERTIFICATE',
    'windows10-vpn',
    'windows10-pkcs',
    '/microsoft.graph.windows10VpnConfiguration/identityCertificate',
  ],
  [
    'WINDOWS_PHONE81_VPN_IDENTITY_CERTIFICATE',
    'wp81-vpn',
    'wp81-scep',
    '/microsoft.graph.windowsPhone81VpnConfiguration/identityCertificate',
  ],
] as const;
