import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configurationId, createEmulatorToken, startEmulator } from '../../emulator';
import type { Emulator } from '../../emulator';
import { gatewayStartOptions, startBuiltGateway } from '../../bench/lib';
import type { StartedGateway } from '../../bench/lib';
import { ConfigError, loadConfig } from '../../src/config';
import { persistedQuery } from '../helpers/persisted';
import { certificateDir, issue, makeCa, startTlsRedisServer } from '../helpers/redis-tls';
import type { TestCa, TestCertificate, TlsRedisServer } from '../helpers/redis-tls';
import { waitFor } from '../helpers/wait';

/**
 * Client certificates for Redis (REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE) end to end: a real redis-server with
 * `--tls-auth-clients yes` and a password, a private CA made here by openssl (the server's certificate and the
 * gateway's, both for NODE_EXTRA_CA_CERTS and the server's tls-ca-cert-file), and three gateway processes: one with
 * the CA's client certificate, which paces shared and registers APQ documents through it; one with none, and one
 * with a certificate of another CA, each told why at start (ioredis only says the connection closed).
 */
const PASSWORD = 'client-cert-redis-secret-2e8f';
const APP = '0d0d0d0d-0000-4000-8000-00000000000d';
const TENANT = '4d4d4d4d-0000-4000-8000-000000000001';
const c = configurationId('windows10-general');

let folder: ReturnType<typeof certificateDir>;
let ca: TestCa;
let gatewayCertificate: TestCertificate;
let foreignCertificate: TestCertificate;
let redis: TlsRedisServer;
let emulator: Emulator;
const gateways: Record<'certified' | 'anonymous' | 'foreign', StartedGateway> = {} as never;
const tokens: string[] = [];

const certificateEnv = (certificate: TestCertificate) => ({
  REDIS_TLS_CERT_FILE: certificate.certFile,
  REDIS_TLS_KEY_FILE: certificate.keyFile,
});

beforeAll(async () => {
  folder = certificateDir();
  const stranger = await makeCa(folder.dir, 'igg-stranger-ca');
  ca = await makeCa(folder.dir, 'igg-redis-ca');
  const [server, ours, theirs] = await Promise.all([
    issue(ca, folder.dir, 'redis', { altNames: 'IP:127.0.0.1' }),
    issue(ca, folder.dir, 'gateway', { client: true }),
    issue(stranger, folder.dir, 'foreign', { client: true }),
  ]);
  [gatewayCertificate, foreignCertificate] = [ours, theirs];
  [redis, emulator] = await Promise.all([
    startTlsRedisServer({ ca, server, clients: ours, password: PASSWORD, dir: folder.dir }),
    startEmulator(),
  ]);
  const start = (env: Record<string, string>) =>
    startBuiltGateway(
      {
        REDIS_URL: `rediss://:${PASSWORD}@127.0.0.1:${redis.port}`,
        NODE_EXTRA_CA_CERTS: ca.caFile,
        GRAPH_BASE_URL: emulator.baseUrl,
        GRAPH_QUOTA_REPLICAS: '2',
        LOG_LEVEL: 'info',
        ...env,
      },
      gatewayStartOptions(),
    );
  const [certified, anonymous, foreign] = await Promise.all([
    start(certificateEnv(ours)),
    start({}),
    start(certificateEnv(theirs)),
  ]);
  Object.assign(gateways, { certified, anonymous, foreign });
}, 60_000);
afterAll(async () => {
  await Promise.all(Object.values(gateways).map((gateway) => gateway.stop()));
  await emulator?.close();
  await redis?.stop();
  folder?.remove();
});

async function post(gateway: StartedGateway, body: unknown) {
  const token = createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], {
    tid: TENANT,
    appid: APP,
  });
  tokens.push(token);
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { errors?: unknown[] };
}

const messages = (gateway: StartedGateway) => gateway.logs.map((line) => String(line.msg));
const lineOf = (gateway: StartedGateway, start: string) =>
  gateway.logs.find((line) => String(line.msg).startsWith(start));
const scrape = async (gateway: StartedGateway) =>
  (await fetch(gateway.url.replace(/\/graphql$/, '/metrics'))).text();

const UPDATE = /* GraphQL */ `
  mutation One($input: UpdateDeviceConfigurationUserStatusInput!) {
    updateDeviceConfigurationUserStatus(input: $input) {
      userStatus {
        id
      }
    }
  }
`;

describe('a Redis that asks for client certificates (tls-auth-clients yes)', () => {
  it("with the CA's client certificate: quota windows and APQ documents shared through it, nothing logged of a secret", async () => {
    const gateway = gateways.certified;
    await waitFor(
      () => messages(gateway).includes('Redis for the quota windows is ready'),
      10_000,
      50,
    );
    emulator.store.put(c, { id: 'cc-1', status: 'error' });
    const input = { deviceConfigurationId: c, userStatusId: 'cc-1', status: 'COMPLIANT' };
    expect((await post(gateway, { query: UPDATE, variables: { input } })).errors).toBeUndefined();
    expect(await redis.cli('KEYS', `igg:q:{${TENANT}}*`)).not.toBe('');
    const document = 'query ClientCertificate { __typename }';
    await post(gateway, { query: document, extensions: persistedQuery(document) });
    expect(await redis.cli('KEYS', 'intune-gateway:apq:*')).not.toBe('');

    expect(messages(gateway).filter((msg) => /not answering|unreachable|failed/.test(msg))).toEqual(
      [],
    );
    expect(await scrape(gateway)).toContain('intune_gateway_quota_store_state{state="shared"} 1');
    const text = gateway.logs.map((line) => JSON.stringify(line)).join('\n');
    const key = readFileSync(gatewayCertificate.keyFile, 'utf8').split('\n')[1]!;
    for (const secret of [PASSWORD, key, 'PRIVATE KEY', ...tokens])
      expect(text).not.toContain(secret);
  });

  it.each([
    [
      'without a client certificate',
      'anonymous' as const,
      'TLS client certificate required by 127.0.0.1:PORT (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED): set REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE',
    ],
    [
      "with another CA's certificate",
      'foreign' as const,
      'TLS client certificate refused by 127.0.0.1:PORT (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA): is it valid, and signed by a CA the server trusts (its tls-ca-cert-file)?',
    ],
  ])('%s: in fallback, and both start-up warnings say why', async (_name, which, words) => {
    const gateway = gateways[which];
    const cause = words.replace('PORT', String(redis.port));
    expect(lineOf(gateway, 'Redis for the quota windows is not answering yet')?.cause).toBe(cause);
    expect(
      lineOf(gateway, 'Redis for automatic persisted queries is not answering yet')?.cause,
    ).toBe(cause);
    expect(await scrape(gateway)).toContain('intune_gateway_quota_store_state{state="fallback"} 1');
  });
});

describe('a client certificate the server refuses, then accepts', () => {
  const ready = (gateway: StartedGateway) =>
    messages(gateway).filter((msg) => msg === 'Redis for the quota windows is ready').length;

  it("refused: it keeps reconnecting without saying it is ready; once the server trusts the certificate's CA, it is back", async () => {
    // ioredis's 'ready' comes before the server's refusal, at each reconnect (every 500 ms): none of them is news.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect([ready(gateways.anonymous), ready(gateways.foreign)]).toEqual([0, 0]);
    const bundle = path.join(folder.dir, 'both-cas.pem');
    writeFileSync(
      bundle,
      readFileSync(ca.caFile, 'utf8') +
        readFileSync(path.join(folder.dir, 'igg-stranger-ca.pem'), 'utf8'),
    );
    await redis.cli('CONFIG', 'SET', 'tls-ca-cert-file', bundle);
    await waitFor(
      async () =>
        ready(gateways.foreign) === 1 &&
        (await scrape(gateways.foreign)).includes(
          'intune_gateway_quota_store_state{state="shared"} 1',
        ),
      10_000,
      100,
    );
  });
});

describe('REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE, checked at start', () => {
  const base = () => ({ REDIS_URL: `rediss://127.0.0.1:${redis.port}` });
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return [error.variable, error.message];
      throw error;
    }
    return ['accepted'];
  };

  it('the pair, over TLS: read, presented as they are', () => {
    const config = loadConfig({ ...base(), ...certificateEnv(gatewayCertificate) });
    expect(config.redis?.clientCertificate).toEqual({
      cert: readFileSync(gatewayCertificate.certFile, 'utf8'),
      key: readFileSync(gatewayCertificate.keyFile, 'utf8'),
    });
  });

  it.each([
    [
      'a certificate without its key',
      () => ({ ...base(), REDIS_TLS_CERT_FILE: gatewayCertificate.certFile }),
      'REDIS_TLS_KEY_FILE',
      "must name the private key of REDIS_TLS_CERT_FILE's certificate",
    ],
    [
      'a key without its certificate',
      () => ({ ...base(), REDIS_TLS_KEY_FILE: gatewayCertificate.keyFile }),
      'REDIS_TLS_CERT_FILE',
      'must name the client certificate of REDIS_TLS_KEY_FILE',
    ],
    [
      'without TLS (redis://)',
      () => ({ REDIS_URL: 'redis://127.0.0.1:6379', ...certificateEnv(gatewayCertificate) }),
      'REDIS_TLS_CERT_FILE',
      'is only read with TLS to Redis: a rediss:// REDIS_URL, or REDIS_TLS=true with REDIS_SENTINELS',
    ],
    [
      'a file that is not there',
      () => ({
        ...base(),
        ...certificateEnv(gatewayCertificate),
        REDIS_TLS_KEY_FILE: '/nowhere.key',
      }),
      'REDIS_TLS_KEY_FILE',
      'cannot be read (ENOENT): /nowhere.key',
    ],
    [
      'a key for another certificate',
      () => ({
        ...base(),
        ...certificateEnv(gatewayCertificate),
        REDIS_TLS_KEY_FILE: foreignCertificate.keyFile,
      }),
      'REDIS_TLS_KEY_FILE',
      "is not the unencrypted PEM private key of REDIS_TLS_CERT_FILE's certificate (ERR_OSSL_X509_KEY_VALUES_MISMATCH)",
    ],
    [
      'a key where the certificate goes',
      () => ({
        ...base(),
        REDIS_TLS_CERT_FILE: path.join(folder.dir, 'gateway.key'),
        REDIS_TLS_KEY_FILE: gatewayCertificate.keyFile,
      }),
      'REDIS_TLS_CERT_FILE',
      'is not a PEM certificate (ERR_OSSL_PEM_NO_START_LINE)',
    ],
  ])('%s: start-up stops, naming the variable', (_name, env, variable, problem) => {
    expect(refusal(env())).toEqual([variable, `${variable} ${problem}`]);
  });
});
