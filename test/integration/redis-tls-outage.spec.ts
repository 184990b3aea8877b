import { gatewayStartOptions, startBuiltGateway } from '../../bench/lib';
import type { StartedGateway } from '../../bench/lib';
import { certificateDir, issue, makeCa, startTlsRedisServer } from '../helpers/redis-tls';
import type { TestCertificate, TlsRedisServer } from '../helpers/redis-tls';
import { waitFor } from '../helpers/wait';

/**
 * A Redis over TLS whose certificate is rotated, while the gateway runs, to one signed by a CA it does not trust:
 * its connections drop and every reconnect fails the handshake. ioredis says only that the connection was lost;
 * the gateway names the cause once per outage, for each Redis user (the quota windows, automatic persisted
 * queries), never per retry, and never a secret. A real redis-server (`CONFIG SET tls-cert-file`, then `CLIENT
 * KILL`, as a rotation and a restart would) and a gateway process trusting the first CA (NODE_EXTRA_CA_CERTS).
 */
const PASSWORD = 'rotated-redis-secret-93b1';
const TOKEN = 'tls-outage-bearer-token-5a0c77';
const QUOTA_STILL = 'Redis for the quota windows is still not answering';
const APQ_STILL = 'Redis for automatic persisted queries is still not answering';

let folder: ReturnType<typeof certificateDir>;
let redis: TlsRedisServer;
let gateway: StartedGateway;
let trusted: TestCertificate;
let rotated: TestCertificate;

beforeAll(async () => {
  folder = certificateDir();
  const [ours, theirs] = await Promise.all([
    makeCa(folder.dir, 'igg-trusted-ca'),
    makeCa(folder.dir, 'igg-other-ca'),
  ]);
  [trusted, rotated] = await Promise.all([
    issue(ours, folder.dir, 'redis-trusted', { altNames: 'IP:127.0.0.1' }),
    issue(theirs, folder.dir, 'redis-rotated', { altNames: 'IP:127.0.0.1' }),
  ]);
  redis = await startTlsRedisServer({
    ca: ours,
    server: trusted,
    password: PASSWORD,
    dir: folder.dir,
  });
  gateway = await startBuiltGateway(
    {
      REDIS_URL: `rediss://:${PASSWORD}@127.0.0.1:${redis.port}`,
      NODE_EXTRA_CA_CERTS: ours.caFile,
      GRAPH_QUOTA_REPLICAS: '2',
      LOG_LEVEL: 'info',
    },
    gatewayStartOptions(),
  );
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await redis?.stop();
  folder?.remove();
});

const messages = () => gateway.logs.map((line) => String(line.msg));
const count = (start: string) => messages().filter((msg) => msg.startsWith(start)).length;
const lineOf = (start: string) => gateway.logs.find((line) => String(line.msg).startsWith(start));

/** The server's certificate swapped, and every client's connection dropped (redis-cli's own kept). */
async function rotateTo(certificate: TestCertificate) {
  await redis.cli(
    ...['CONFIG', 'SET', 'tls-cert-file', certificate.certFile],
    ...['tls-key-file', certificate.keyFile],
  );
  await redis.cli('CLIENT', 'KILL', 'TYPE', 'normal');
}

/** A request with a bearer token (an APQ hash the gateway does not know): the token must not reach a log line. */
const request = () =>
  fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({
      extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } },
    }),
  });

it('a certificate rotated to one not trusted: the cause once per outage and per Redis user, never per retry, no secret', async () => {
  await waitFor(() => count('Redis for the quota windows is ready') === 1, 10_000, 50);
  expect(count('Redis for the quota windows is not answering yet')).toBe(0);
  await request();

  await rotateTo(rotated);
  await waitFor(() => count(QUOTA_STILL) === 1 && count(APQ_STILL) === 1, 10_000, 50);
  const cause = `TLS certificate of 127.0.0.1:${redis.port} not trusted (`;
  expect(String(lineOf(QUOTA_STILL)?.cause)).toContain(cause);
  expect(String(lineOf(APQ_STILL)?.cause)).toContain(cause);
  await request();
  // ioredis retries every 500 ms meanwhile: the warnings are not repeated.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect([count(QUOTA_STILL), count(APQ_STILL)]).toEqual([1, 1]);
  expect(count('quota store unreachable')).toBe(1);

  // Back on a trusted certificate, then rotated again: a second outage, named once more.
  await rotateTo(trusted);
  await waitFor(() => count('Redis for the quota windows is ready') === 2, 10_000, 50);
  await rotateTo(rotated);
  await waitFor(() => count(QUOTA_STILL) === 2 && count(APQ_STILL) === 2, 10_000, 50);

  const text = gateway.logs.map((line) => JSON.stringify(line)).join('\n');
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(TOKEN);
}, 60_000);
