import { spawn } from 'node:child_process';
import path from 'node:path';
import { configurationId, createEmulatorToken } from '../../emulator';
import { FROM_SOURCE } from '../../bench/lib';
import { BULK_MUTATION, startHarness, waitFor } from '../helpers/harness';
import type { Harness } from '../helpers/harness';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';

/**
 * A Redis outage with GRAPH_QUOTA_REPLICAS=3 (docs/quotas.md, "Redis outages"): a gateway sharing its windows
 * through a real Redis, in front of the emulator, which counts every call it accepts. While Redis is down the
 * gateway sends its third of what was left of each window as it last saw it (nothing, when it was full), and its
 * third of a window it had not seen only once that window has passed; once Redis is back and the other replicas
 * surely too, the full limits again.
 */
const APP_WRITES = 6;
const SHARE = APP_WRITES / 3;
/** The gateway's window: Graph's 1,000 ms and its safety margin. */
const WINDOW_MS = 1_500;
const c = configurationId('windows10-general');
const APP = '0c0c0c0c-0000-4000-8000-00000000000c';
const tenant = (n: number) => `0${n}0${n}0${n}0${n}-0000-4000-8000-00000000000${n}`;
const auth = (tid: string) => ({
  authorization: `Bearer ${createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], { tid, appid: APP })}`,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let redis: TestRedis;
let harness: Harness;

beforeAll(async () => {
  redis = await startRedis();
  harness = await startHarness({
    emulator: { quotas: { enabled: false } },
    env: {
      REDIS_URL: redis.url,
      GRAPH_QUOTA_REPLICAS: '3',
      GRAPH_QUOTA_WINDOW_MS: '1000',
      GRAPH_QUOTA_APP_WRITES: String(APP_WRITES),
      GRAPH_QUOTA_TENANT_WRITES: '12',
      GRAPH_QUOTA_APP_CALLS: '300',
      GRAPH_QUOTA_TENANT_CALLS: '600',
      // Shorter than the window (1.5 s with its margin): what does not fit now is THROTTLED, not sent later.
      // Long enough for a new token's first bulk: one chunk through the gate for unproven tokens, then the rest.
      GRAPH_DEADLINE_MS: '1000',
    },
  });
  for (let index = 0; index < 8; index += 1)
    harness.emulator.store.put(c, { id: `s-${index}`, status: 'error' });
});
afterAll(async () => {
  await harness?.close();
  await redis?.stop();
});

/** Updates `count` statuses in one bulk mutation as tenant `tid`: each item's outcome, `ok` or its error code. */
async function bulk(tid: string, count: number): Promise<string[]> {
  const inputs = Array.from({ length: count }, (_, index) => ({
    deviceConfigurationId: c,
    userStatusId: `s-${index}`,
    status: 'COMPLIANT',
  }));
  const { body } = await harness.gateway.gql(BULK_MUTATION, { inputs }, auth(tid));
  const items = body.data?.updateDeviceConfigurationUserStatuses as Array<{
    error: { code: string } | null;
  }>;
  return items.map((item) => item.error?.code ?? 'ok');
}

/** The writes of a tenant the emulator accepted (each $batch item counts one). */
const received = (tid: string) =>
  harness.emulator.calls.filter((call) => call.tenant === tid && call.kind === 'write').length;

const outcomes = (ok: number, throttled: number) => [
  ...Array<string>(ok).fill('ok'),
  ...Array<string>(throttled).fill('THROTTLED'),
];

it('Redis killed: the replica sends its third of what was left, or of a window it waited out; Redis back: the full limits', async () => {
  // Shared through Redis: the app's full six writes.
  expect(await bulk(tenant(1), 8)).toEqual(outcomes(APP_WRITES, 2));
  expect(received(tenant(1))).toBe(APP_WRITES);

  await redis.kill();
  // Pacing falls back by design: the gateway stays ready (a 503 would take every replica out at once).
  const ready = await fetch(harness.gateway.url.replace(/\/graphql$/, '/readyz'));
  expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  // It saw tenant 1's window full: nothing more until those six leave it.
  expect(await bulk(tenant(1), 2)).toEqual(outcomes(0, 2));
  // Tenant 2's window it never saw: other replicas may have filled it, so it waits that window out.
  expect(await bulk(tenant(2), 2)).toEqual(outcomes(0, 2));
  await sleep(WINDOW_MS);
  // Then its third of each limit, no more, for every tenant.
  expect(await bulk(tenant(2), 6)).toEqual(outcomes(SHARE, 6 - SHARE));
  expect(await bulk(tenant(1), 6)).toEqual(outcomes(SHARE, 6 - SHARE));
  expect(received(tenant(1))).toBe(APP_WRITES + SHARE);
  expect(received(tenant(2))).toBe(SHARE);
  const lines = harness.gateway.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
  const warning = lines.find((line) => String(line.msg).startsWith('quota store unreachable'));
  expect(String(warning?.cause)).toMatch(
    new RegExp(
      `^(connection refused to|connection lost to|not connected to|connection reset by) 127\\.0\\.0\\.1:${redis.port}$`,
    ),
  );
  expect(warning).toMatchObject({
    reason: 'unreachable',
    replicas: 3,
    share: { appWrites: 2, tenantWrites: 4, appCalls: 100, tenantCalls: 200 },
  });

  await redis.restart();
  // The replica probes Redis on its own: no request is needed for it to come back.
  await waitFor(
    () => harness.gateway.logs.some((line) => line.includes('quota store reachable again')),
    5_000,
    50,
  );
  // Other replicas write theirs back within 2 probe intervals and a timeout (2 s): after that, the full limits.
  await sleep(2_000);
  expect(await bulk(tenant(4), 8)).toEqual(outcomes(APP_WRITES, 2));
  expect(received(tenant(4))).toBe(APP_WRITES);
}, 20_000);

it.each([
  [
    { GRAPH_QUOTA_REDIS_TIMEOUT_MS: '20' },
    'GRAPH_QUOTA_REDIS_TIMEOUT_MS',
    'must be between 50 and 30000, got 20',
  ],
  [{ GRAPH_QUOTA_MARGIN_MS: '0.5' }, 'GRAPH_QUOTA_MARGIN_MS', 'must be a whole number, got "0.5"'],
  // Issue 26's bad combinations: a cluster flag with sentinels, a sentinel list without a name.
  [
    { REDIS_URL: '', REDIS_CLUSTER: 'true', REDIS_SENTINELS: '127.0.0.1:26379' },
    'REDIS_SENTINELS',
    'cannot be used with REDIS_CLUSTER=true: a Redis Cluster has no sentinels',
  ],
  [
    { REDIS_URL: '', REDIS_SENTINELS: '127.0.0.1:26379' },
    'REDIS_SENTINEL_NAME',
    'must name the master group when REDIS_SENTINELS is set',
  ],
])(
  '%j stops start-up naming %s, and Graph is never called',
  async (settings, variable, says) => {
    const requests = harness.emulator.requests.length;
    const child = spawn(
      process.execPath,
      [...FROM_SOURCE, path.join(__dirname, '..', '..', 'src', 'index.ts')],
      {
        env: {
          PATH: process.env.PATH ?? '',
          PORT: '0',
          HOST: '127.0.0.1',
          GRAPH_BASE_URL: harness.emulator.baseUrl,
          REDIS_URL: redis.url,
          ...settings,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(JSON.parse(output.trim())).toMatchObject({
      variable,
      msg: `Invalid configuration: ${variable} ${says}`,
    });
    expect(harness.emulator.requests.length).toBe(requests);
  },
  15_000,
);
