import { spawn } from 'node:child_process';
import path from 'node:path';
import { FROM_SOURCE } from '../../bench/lib';
import { GatewayRequestError, createGatewayClient, documentIdOf } from '../../examples/client';
import {
  GetUserStatusDocument,
  ListUserStatusesDocument,
  UpdateUserStatusDocument,
  UpdateUserStatusesDocument,
} from '../../examples/generated/graphql';
import { configurationId, userStatusId } from '../../emulator/store';
import { TOKEN, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';
import { MANIFEST } from '../helpers/manifest';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ env: { GRAPHQL_TRUSTED_DOCUMENTS: MANIFEST } });
});
afterAll(() => harness.close());

const ids = {
  deviceConfigurationId: configurationId('windows10-vpn'),
  userStatusId: userStatusId('windows10-pkcs', 1),
};

describe('the typed example client (examples/client.ts + generated documents)', () => {
  it('updates, reads, lists and bulk-updates with typed variables and results, sending ids, not documents', async () => {
    harness.gateway.logs.length = 0;
    const client = createGatewayClient({ url: harness.gateway.url, token: TOKEN });
    const updated = await client.request(UpdateUserStatusDocument, {
      input: {
        path: 'WINDOWS10_VPN_IDENTITY_CERTIFICATE',
        ...ids,
        status: 'COMPLIANT',
        devicesCount: 5,
      },
    });
    expect(updated.updateDeviceConfigurationUserStatus?.userStatus).toMatchObject({
      status: 'COMPLIANT',
      devicesCount: 5,
    });

    const read = await client.request(GetUserStatusDocument, {
      path: 'WINDOWS10_VPN_IDENTITY_CERTIFICATE',
      ...ids,
    });
    const status: string | null | undefined = read.deviceConfigurationUserStatus?.status;
    expect(status).toBe('COMPLIANT');

    const page = await client.request(ListUserStatusesDocument, {
      deviceConfigurationId: configurationId('windows10-general'),
      first: 2,
    });
    expect(page.deviceConfigurationUserStatuses.nodes).toHaveLength(2);
    expect(page.deviceConfigurationUserStatuses.pageInfo.hasNextPage).toBe(true);

    const bulk = await client.request(UpdateUserStatusesDocument, {
      inputs: [{ path: 'WINDOWS10_VPN_IDENTITY_CERTIFICATE', ...ids, status: 'ERROR' }],
    });
    expect(bulk.updateDeviceConfigurationUserStatuses).toEqual([
      { userStatus: { id: ids.userStatusId, status: 'ERROR' }, error: null },
    ]);

    // Each request named its document by the manifest's id (codegen's `__meta__.hash`).
    const named = harness.gateway.logs
      .map((line) => JSON.parse(line) as { msg: string; documentId?: string })
      .filter((line) => line.msg === 'request completed')
      .map((line) => line.documentId);
    const documents = [
      UpdateUserStatusDocument,
      GetUserStatusDocument,
      ListUserStatusesDocument,
      UpdateUserStatusesDocument,
    ];
    expect(named).toEqual(documents.map((document) => documentIdOf(document)));
    expect(named.every((id) => /^sha256:[0-9a-f]{64}$/.test(id ?? ''))).toBe(true);
  });

  it("send: 'document' sends documents whole (a gateway without the manifest)", async () => {
    harness.gateway.logs.length = 0;
    const client = createGatewayClient({
      url: harness.gateway.url,
      token: TOKEN,
      send: 'document',
    });
    const read = await client.request(GetUserStatusDocument, {
      path: 'WINDOWS10_VPN_IDENTITY_CERTIFICATE',
      ...ids,
    });
    expect(read.deviceConfigurationUserStatus?.id).toBe(ids.userStatusId);
    expect(harness.gateway.logs.join('\n')).toContain('"documentId":null');
  });

  it('throws GatewayRequestError with the codes', async () => {
    const client = createGatewayClient({ url: harness.gateway.url, token: TOKEN });
    const attempt = client.request(GetUserStatusDocument, {
      deviceConfigurationId: ids.deviceConfigurationId,
      userStatusId: 'missing',
    });
    await expect(attempt).rejects.toBeInstanceOf(GatewayRequestError);
    await expect(attempt).rejects.toMatchObject({ codes: ['NOT_FOUND'] });
  });
});

it('examples/update-status.ts calls the gateway on PORT when given no URL', async () => {
  const { port } = new URL(harness.gateway.url);
  const script = path.join(__dirname, '..', '..', 'examples', 'update-status.ts');
  const child = spawn(process.execPath, [...FROM_SOURCE, script], {
    env: { PATH: process.env.PATH ?? '', PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const sent = harness.emulator.requests.length;
  expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
  expect(output).toContain('read back: COMPLIANT');
  expect(harness.emulator.requests.slice(sent).map((request) => request.method)).toEqual([
    'PATCH',
    'GET',
  ]);
});
