import { gql } from '@apollo/client';
import { gatewayStartOptions, startBuiltGateway } from '../../bench/lib';
import type { StartedGateway } from '../../bench/lib';
import { startEmulator } from '../../emulator';
import type { Emulator } from '../../emulator';
import { configurationId, userStatusId } from '../../emulator/store';
import { GatewayRequestError, createGatewayClient, documentIdOf } from '../../examples/client';
import {
  GetUserStatusDocument,
  ListUserStatusesDocument,
  UpdateUserStatusDocument,
} from '../../examples/generated/graphql';
import { TOKEN } from '../helpers/harness';
import { apolloClient, createWire, sha256, urqlClient } from '../helpers/persisted';
import { MANIFEST } from '../helpers/manifest';

/**
 * A gateway process open to the internet: GRAPHQL_TRUSTED_DOCUMENTS_ONLY with this project's own manifest
 * (`npm run codegen`). The typed client, Apollo Client and urql run the manifest's documents by id or hash; every
 * other document, id or registration is refused before parsing, and Graph (the emulator) never hears of it.
 */
const ids = {
  path: 'WINDOWS10_VPN_IDENTITY_CERTIFICATE' as const,
  deviceConfigurationId: configurationId('windows10-vpn'),
  userStatusId: userStatusId('windows10-pkcs', 1),
};
const ARBITRARY = gql(`query Arbitrary($c: ID!, $s: ID!) {
  deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) { id userPrincipalName }
}`);
const arbitraryVars = { c: ids.deviceConfigurationId, s: ids.userStatusId };

let emulator: Emulator;
let gateway: StartedGateway;
beforeAll(async () => {
  emulator = await startEmulator();
  gateway = await startBuiltGateway(
    {
      GRAPH_BASE_URL: emulator.baseUrl,
      GRAPHQL_TRUSTED_DOCUMENTS: MANIFEST,
      GRAPHQL_TRUSTED_DOCUMENTS_ONLY: 'true',
    },
    gatewayStartOptions(),
  );
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
  await emulator?.close();
});

describe('the manifest’s documents run', () => {
  it('the typed client, by documentId', async () => {
    const client = createGatewayClient({ url: gateway.url, token: TOKEN });
    const updated = await client.request(UpdateUserStatusDocument, {
      input: { ...ids, status: 'COMPLIANT', devicesCount: 2 },
    });
    expect(updated.updateDeviceConfigurationUserStatus?.userStatus?.devicesCount).toBe(2);
    const read = await client.request(GetUserStatusDocument, ids);
    expect(read.deviceConfigurationUserStatus?.status).toBe('COMPLIANT');
  });

  it('a documentId by GET (the persisted documents proposal), with the preflight header', async () => {
    const search = new URLSearchParams({
      documentId: documentIdOf(ListUserStatusesDocument)!,
      variables: JSON.stringify({
        deviceConfigurationId: configurationId('windows10-general'),
        first: 1,
      }),
    });
    const response = await fetch(`${gateway.url}?${search}`, {
      headers: { authorization: `Bearer ${TOKEN}`, 'apollo-require-preflight': 'true' },
    });
    const body = (await response.json()) as {
      data?: { deviceConfigurationUserStatuses: { nodes: unknown[] } };
    };
    expect([response.status, body.data?.deviceConfigurationUserStatuses.nodes]).toEqual([
      200,
      [expect.objectContaining({ id: expect.any(String) as unknown })],
    ]);
  });

  it("Apollo Client's link with codegen's ids as hashes: one request each, GET for the query", async () => {
    const wire = createWire();
    const client = apolloClient(gateway.url, { token: TOKEN, wire, codegenIds: true, get: true });
    const read = await client.query({
      query: GetUserStatusDocument,
      variables: ids,
      fetchPolicy: 'no-cache',
    });
    const written = await client.mutate({
      mutation: UpdateUserStatusDocument,
      variables: { input: { ...ids, status: 'ERROR' } },
    });
    expect(read.data?.deviceConfigurationUserStatus?.id).toBe(ids.userStatusId);
    expect(written.data?.updateDeviceConfigurationUserStatus?.userStatus?.status).toBe('ERROR');
    expect(wire.calls).toEqual([
      { method: 'GET', status: 200, sent: 'hash' },
      { method: 'POST', status: 200, sent: 'hash' },
    ]);
  });

  it("urql's persisted exchange with codegen's ids as hashes", async () => {
    const wire = createWire();
    const client = urqlClient(gateway.url, { token: TOKEN, wire, codegenIds: true });
    const read = await client.query(GetUserStatusDocument, ids).toPromise();
    expect([read.error, read.data?.deviceConfigurationUserStatus?.id]).toEqual([
      undefined,
      ids.userStatusId,
    ]);
    expect(wire.calls).toEqual([{ method: 'GET', status: 200, sent: 'hash' }]);
  });
});

describe('everything else is refused before parsing, and Graph never called', () => {
  beforeEach(() => emulator.reset());
  afterEach(() => expect(emulator.requests).toEqual([]));

  it("Apollo Client's link with an arbitrary document: 404 PERSISTED_QUERY_NOT_IN_LIST, no registration attempt", async () => {
    const wire = createWire();
    const client = apolloClient(gateway.url, { token: TOKEN, wire });
    const result = await client.query({
      query: ARBITRARY,
      variables: arbitraryVars,
      errorPolicy: 'all',
    });
    expect(result.error?.message).toContain('not found in the trusted documents');
    expect(wire.calls).toEqual([{ method: 'POST', status: 404, sent: 'hash' }]);
  });

  it('Apollo Client without the link (documents whole, the explorer’s way): 400 PERSISTED_QUERY_ID_REQUIRED', async () => {
    const wire = createWire();
    const client = apolloClient(gateway.url, { token: TOKEN, wire, persisted: false });
    const result = await client.query({
      query: ARBITRARY,
      variables: arbitraryVars,
      errorPolicy: 'all',
    });
    expect(result.error?.message).toContain('send a documentId instead of the document');
    expect(wire.calls).toEqual([{ method: 'POST', status: 400, sent: 'document' }]);
  });

  it("urql's persisted exchange with an arbitrary document: refused, its registration too", async () => {
    const wire = createWire();
    const client = urqlClient(gateway.url, { token: TOKEN, wire });
    const result = await client.query(ARBITRARY, arbitraryVars).toPromise();
    expect(result.error).toBeDefined();
    expect(wire.calls).toEqual([{ method: 'GET', status: 404, sent: 'hash' }]);
  });

  it('the typed client sending documents whole: PERSISTED_QUERY_ID_REQUIRED', async () => {
    const client = createGatewayClient({ url: gateway.url, token: TOKEN, send: 'document' });
    const attempt = client.request(GetUserStatusDocument, ids);
    await expect(attempt).rejects.toBeInstanceOf(GatewayRequestError);
    await expect(attempt).rejects.toMatchObject({
      codes: ['PERSISTED_QUERY_ID_REQUIRED'],
      status: 400,
    });
  });

  it('an APQ registration of an arbitrary document, and an unknown documentId', async () => {
    const send = (body: object) =>
      fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      });
    const text = ARBITRARY.loc!.source.body;
    const hash = sha256(text);
    const registration = await send({
      query: text,
      variables: arbitraryVars,
      extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
    });
    const unknown = await send({ documentId: `sha256:${hash}`, variables: arbitraryVars });
    expect([registration.status, unknown.status]).toEqual([404, 404]);
  });
});
