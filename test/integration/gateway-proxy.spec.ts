import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gatewayStartOptions, startBuiltGateway } from '../../bench/lib';
import { configurationId, userStatusId } from '../../emulator';
import { startEmulator } from '../../emulator/server';
import { AUTH, GET_QUERY, TOKEN, UPDATE_MUTATION, startHarness } from '../helpers/harness';
import { selfSignedCertificate, startProxy } from '../helpers/proxyProcess';
import type { ProxyProcess } from '../helpers/proxyProcess';

/** The whole gateway behind a real egress proxy (the `proxy` package in its own process), over real HTTP. */
const CREDENTIALS = 'egress:pa55-w0rd';
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);

let proxy: ProxyProcess;
/** An https proxy whose certificate only NODE_EXTRA_CA_CERTS (in a file) makes trusted. */
let tlsProxy: ProxyProcess;
let caFolder: string;
let caFile: string;
beforeAll(async () => {
  const certificate = selfSignedCertificate();
  caFolder = mkdtempSync(path.join(os.tmpdir(), 'proxy-ca-'));
  caFile = path.join(caFolder, 'proxy-ca.pem');
  writeFileSync(caFile, certificate.cert);
  [proxy, tlsProxy] = await Promise.all([
    startProxy({ credentials: CREDENTIALS }),
    startProxy({ credentials: CREDENTIALS, tls: certificate }),
  ]);
});
afterAll(async () => {
  await Promise.all([proxy.stop(), tlsProxy.stop()]);
  rmSync(caFolder, { recursive: true, force: true });
});

it('GRAPH_PROXY_URL with credentials: Graph calls go through the proxy, and the credentials appear in no log line', async () => {
  const harness = await startHarness({
    env: { GRAPH_PROXY_URL: proxy.origin.replace('://', `://${CREDENTIALS}@`) },
  });
  try {
    const { body } = await harness.gateway.gql(GET_QUERY, { c, s }, AUTH);
    expect(body.errors).toBeUndefined();
    const records = await proxy.recordsSoFar();
    expect(
      records.some((record) => record.url.includes(`/userStatuses/${s}`) && record.authorized),
    ).toBe(true);
    expect(harness.gateway.logs.join('\n')).not.toContain('pa55-w0rd');
  } finally {
    await harness.close();
  }
});

it('a proxy that refuses the credentials → UPSTREAM_UNAVAILABLE naming the proxy, and nothing reaches Graph', async () => {
  const harness = await startHarness({
    env: { GRAPH_PROXY_URL: proxy.origin.replace('://', '://egress:wrong@') },
  });
  try {
    const { body } = await harness.gateway.gql(GET_QUERY, { c, s }, AUTH);
    expect(body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(body.errors?.[0]?.message).toMatch(/egress proxy refused the connection \(407/);
    expect(JSON.stringify(body)).not.toMatch(/wrong|pa55|egress:/);
    expect(harness.emulator.requests).toHaveLength(0);
    expect(JSON.stringify(body)).not.toContain(TOKEN);
  } finally {
    await harness.close();
  }
});

it('NO_PROXY covering Graph bypasses HTTP_PROXY', async () => {
  const before = (await proxy.recordsSoFar()).length;
  const harness = await startHarness({ env: { HTTP_PROXY: proxy.origin, NO_PROXY: '127.0.0.1' } });
  try {
    const { body } = await harness.gateway.gql(GET_QUERY, { c, s }, AUTH);
    expect(body.errors).toBeUndefined();
    expect((await proxy.recordsSoFar()).length).toBe(before);
    expect(harness.emulator.requests).toHaveLength(1);
  } finally {
    await harness.close();
  }
});

describe('an https proxy', () => {
  const withCredentials = (origin: string) => origin.replace('://', `://${CREDENTIALS}@`);

  it('trusted through NODE_EXTRA_CA_CERTS (the production path: no test-only `ca`): a mutation goes through it', async () => {
    const emulator = await startEmulator();
    // Its own process: Node reads NODE_EXTRA_CA_CERTS once, at start.
    const gateway = await startBuiltGateway(
      {
        GRAPH_BASE_URL: emulator.baseUrl,
        GRAPH_PROXY_URL: withCredentials(tlsProxy.origin),
        NODE_EXTRA_CA_CERTS: caFile,
      },
      gatewayStartOptions(),
    );
    try {
      const before = (await tlsProxy.recordsSoFar()).length;
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...AUTH },
        body: JSON.stringify({
          query: UPDATE_MUTATION,
          variables: { input: { deviceConfigurationId: c, userStatusId: s, status: 'ERROR' } },
        }),
      });
      const body = (await response.json()) as {
        data?: { updateDeviceConfigurationUserStatus?: { userStatus?: { status?: string } } };
        errors?: unknown;
      };

      expect(body.errors).toBeUndefined();
      expect(body.data?.updateDeviceConfigurationUserStatus?.userStatus?.status).toBe('ERROR');
      expect((await tlsProxy.recordsSoFar()).slice(before)).toEqual([
        expect.objectContaining({ method: 'PATCH', authorized: true, tls: true }),
      ]);
      expect(emulator.requests.map((request) => request.method)).toEqual(['PATCH']);
      expect(JSON.stringify(gateway.logs)).not.toMatch(/pa55-w0rd|test-token/);
    } finally {
      await gateway.stop();
      await emulator.close();
    }
  });

  it('not trusted → UPSTREAM_UNAVAILABLE saying so, naming the proxy; nothing reaches the proxy or Graph', async () => {
    // This process was started without NODE_EXTRA_CA_CERTS: nothing here trusts the proxy's certificate.
    const harness = await startHarness({
      env: { GRAPH_PROXY_URL: withCredentials(tlsProxy.origin) },
    });
    try {
      const before = (await tlsProxy.recordsSoFar()).length;
      const { body } = await harness.gateway.gql(GET_QUERY, { c, s }, AUTH);

      expect(body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(body.errors?.[0]?.message).toBe(
        `The TLS certificate of the egress proxy ${tlsProxy.origin} is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT).`,
      );
      expect(JSON.stringify(body)).not.toMatch(/pa55|egress:/);
      // Permanent: one attempt, not retried until the deadline.
      const failedCalls = harness.gateway.logs
        .map((line) => (JSON.parse(line) as { msg?: string }).msg ?? '')
        .filter((msg) => msg.startsWith('graph call failed'));
      expect(failedCalls).toEqual(['graph call failed']);
      expect((await tlsProxy.recordsSoFar()).slice(before)).toEqual([]);
      expect(harness.emulator.requests).toHaveLength(0);
    } finally {
      await harness.close();
    }
  });
});
