import { configurationId, createEmulatorToken } from '../../emulator';
import { BULK_MUTATION, GET_QUERY, startHarness, waitFor } from '../helpers/harness';
import type { Harness } from '../helpers/harness';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';

/**
 * A Redis outage with GRAPH_QUOTA_REPLICAS=3 (docs/quotas.md, "Redis outages"): a gateway sharing its windows
 * through a real Redis, in front of the emulator, which counts every call it accepts. While Redis is down the
 * gateway sends at most a third of each limit per window; once it is back, the full limits again.
 */
const APP_WRITES = 6;
const SHARE = APP_WRITES / 3;
const c = configurationId('windows10-general');
const APP = '0c0c0c0c-0000-4000-8000-00000000000c';
const tenant = (n: number) => `0${n}0${n}0${n}0${n}-0000-4000-8000-00000000000${n}`;
const auth = (tid: string) => ({
  authorization: `Bearer ${createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], { tid, appid: APP })}`,
});

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

it('Redis killed: the replica sends at most its third of each limit; Redis back: the full limits again', async () => {
  // Shared through Redis: the app's full six writes.
  expect(await bulk(tenant(1), 8)).toEqual(outcomes(APP_WRITES, 2));
  expect(received(tenant(1))).toBe(APP_WRITES);

  await redis.kill();
  expect(await bulk(tenant(2), 6)).toEqual(outcomes(SHARE, 6 - SHARE));
  // Still inside the window: nothing more for this app.
  expect(await bulk(tenant(2), 2)).toEqual(outcomes(0, 2));
  expect(received(tenant(2))).toBe(SHARE);
  const warning = harness.gateway.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((line) => String(line.msg).startsWith('quota store unreachable'));
  expect(warning).toMatchObject({
    replicas: 3,
    share: { appWrites: 2, tenantWrites: 4, appCalls: 100, tenantCalls: 200 },
  });

  await redis.restart();
  // Requests trigger the recovery probe (at most once a second): read until the replica says it shares again.
  await waitFor(
    async () => {
      await harness.gateway.gql(GET_QUERY, { c, s: 's-0' }, auth(tenant(3)));
      return harness.gateway.logs.some((line) => line.includes('quota store reachable again'));
    },
    5_000,
    50,
  );
  expect(await bulk(tenant(4), 8)).toEqual(outcomes(APP_WRITES, 2));
  expect(received(tenant(4))).toBe(APP_WRITES);
}, 15_000);
