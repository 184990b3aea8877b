import { createEmulatorToken, startEmulator } from '../../emulator';
import type { Emulator } from '../../emulator';
import { configurationId } from '../../emulator';
import Redis from 'ioredis';
import { gatewayStartOptions, startBuiltGateway } from '../../bench/lib';
import type { StartedGateway } from '../../bench/lib';
import { BULK_MUTATION } from '../helpers/documents';
import { startRedis } from '../helpers/redis';
import { waitFor } from '../helpers/wait';
import type { TestRedis } from '../helpers/redis';

/**
 * Issue 10 end to end: three gateway processes share one real Redis in front of the emulator, which enforces the
 * same (scaled-down) Intune quotas and logs every call it accepted. The promise is checked at the upstream: never
 * more calls of a kind in any window than the limit, for any tenant and app, whatever the number of replicas.
 */
const WINDOW_MS = 1000;
const APP_WRITES = 5;
const QUOTAS = {
  GRAPH_QUOTA_WINDOW_MS: String(WINDOW_MS),
  GRAPH_QUOTA_APP_WRITES: String(APP_WRITES),
  GRAPH_QUOTA_TENANT_WRITES: '10',
  GRAPH_QUOTA_APP_CALLS: '100',
  GRAPH_QUOTA_TENANT_CALLS: '200',
};
const TENANT_A = '0a0a0a0a-0000-4000-8000-00000000000a';
const TENANT_B = '0b0b0b0b-0000-4000-8000-00000000000b';
const TENANT_C = '1c1c1c1c-0000-4000-8000-00000000001c';
const TENANT_D = '1d1d1d1d-0000-4000-8000-00000000001d';
const APP = '0c0c0c0c-0000-4000-8000-00000000000c';
const token = (tid: string) =>
  createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], { tid, appid: APP });
const c = configurationId('windows10-general');
const UPDATE = /* GraphQL */ `
  mutation One($input: UpdateDeviceConfigurationUserStatusInput!) {
    updateDeviceConfigurationUserStatus(input: $input) {
      userStatus {
        id
      }
    }
  }
`;

const READ = /* GraphQL */ `
  query Get($c: ID!, $s: ID!) {
    deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) {
      id
    }
  }
`;

let redis: TestRedis;
let emulator: Emulator;
let replicas: StartedGateway[];

async function gql(gateway: StartedGateway, query: string, variables: object, tid: string) {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token(tid)}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as {
    data?: Record<string, unknown>;
    errors?: Array<{ extensions?: Record<string, unknown> }>;
  };
}

/** A fresh emulator: windows, log and faults cleared, the statuses these tests update seeded. */
function reset(): void {
  emulator.reset();
  for (const prefix of ['r0', 'r1', 'r2', 'b', 's', 'o'])
    for (let index = 0; index < 10; index += 1)
      emulator.store.put(c, { id: `${prefix}-${index}`, status: 'error' });
}

const inputs = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => ({
    deviceConfigurationId: c,
    userStatusId: `${prefix}-${index}`,
    status: 'COMPLIANT',
  }));

beforeAll(async () => {
  redis = await startRedis();
  emulator = await startEmulator({
    quotas: {
      windowMs: WINDOW_MS,
      appWrites: APP_WRITES,
      tenantWrites: 20,
      appCalls: 100,
      tenantCalls: 200,
    },
  });
  const env = {
    GRAPH_BASE_URL: emulator.baseUrl,
    REDIS_URL: redis.url,
    GRAPH_DEADLINE_MS: '20000',
    ...QUOTAS,
  };
  replicas = await Promise.all([0, 1, 2].map(() => startBuiltGateway(env, gatewayStartOptions())));
}, 60_000);
afterAll(async () => {
  await Promise.all((replicas ?? []).map((replica) => replica.stop()));
  await emulator?.close();
  await redis?.stop();
});

beforeAll(reset);

/** Tenant `tid`'s calls Graph saw. */
const callsOf = (tid: string) => emulator.calls.filter((call) => call.tenant === tid);

// The first three run at once: they mostly wait for windows (1 s each), and each has tenants, statuses and a fault of
// its own, so each reads only its own calls. Jest runs a block's concurrent tests together, after its beforeAll.
it.concurrent(
  'a bulk load spread over three replicas: every item succeeds, no 429, the window never exceeded',
  async () => {
    const results = await Promise.all(
      replicas.map((replica, index) =>
        gql(replica, BULK_MUTATION, { inputs: inputs(`r${index}`, 5) }, TENANT_A),
      ),
    );
    const items = results.flatMap(
      (result) => result.data?.updateDeviceConfigurationUserStatuses as Array<{ error: unknown }>,
    );
    expect(items).toHaveLength(15);
    expect(items.filter((item) => item.error !== null)).toEqual([]);
    expect(callsOf(TENANT_A).filter((call) => call.refused)).toEqual([]);
    expect(callsOf(TENANT_A).filter((call) => call.kind === 'write' && !call.refused)).toHaveLength(
      15,
    );
    expect(emulator.maxInWindow({ kind: 'write', tenant: TENANT_A, app: APP })).toBeLessThanOrEqual(
      APP_WRITES,
    );
  },
  30_000,
);

it.concurrent(
  'a second tenant is served while the first is saturated',
  async () => {
    const finished: string[] = [];
    const saturating = gql(replicas[0]!, BULK_MUTATION, { inputs: inputs('s', 10) }, TENANT_C).then(
      (answer) => (finished.push('tenant C bulk'), answer),
    );
    // The bulk has taken tenant C's whole window and waits for the next one when tenant D's write arrives.
    await waitFor(() => callsOf(TENANT_C).length > 0);
    const other = await gql(
      replicas[1]!,
      UPDATE,
      { input: { deviceConfigurationId: c, userStatusId: 'o-0', status: 'ERROR' } },
      TENANT_D,
    );
    finished.push('tenant D write');
    expect(other.errors).toBeUndefined();
    await saturating;
    expect(finished).toEqual(['tenant D write', 'tenant C bulk']);
  },
  30_000,
);

it.concurrent(
  'a 429 seen by one replica holds the tenant on the others until its Retry-After',
  async () => {
    // The token is proven first (Graph accepted it): an unproven token's 429 would hold that token alone.
    const read = await gql(replicas[0]!, READ, { c, s: 'b-0' }, TENANT_B);
    expect(read.errors).toBeUndefined();
    emulator.faults.add({ method: 'PATCH', path: 'b-1', status: 429, retryAfter: '1.5', times: 1 });
    const first = gql(
      replicas[0]!,
      UPDATE,
      { input: { deviceConfigurationId: c, userStatusId: 'b-1', status: 'ERROR' } },
      TENANT_B,
    );
    // Let the 429 arrive and be recorded in Redis, then call through another replica.
    while (!emulator.requests.some((request) => request.url.includes('b-1')))
      await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const throttledAt = emulator.requests.find((request) =>
      request.url.includes('b-1'),
    )!.receivedAt;
    await gql(
      replicas[1]!,
      UPDATE,
      { input: { deviceConfigurationId: c, userStatusId: 'b-2', status: 'ERROR' } },
      TENANT_B,
    );
    await first;
    const next = emulator.requests.find((request) => request.url.includes('b-2'))!;
    expect(next.receivedAt - throttledAt).toBeGreaterThanOrEqual(1500);
  },
  30_000,
);

it('no token text in any Redis key or member', async () => {
  const client = new Redis(redis.url);
  try {
    const keys = await client.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    const members = (
      await Promise.all(
        keys.map(async (key) =>
          (await client.type(key)) === 'zset' ? client.zrange(key, 0, -1) : [await client.get(key)],
        ),
      )
    ).flat();
    const stored = [...keys, ...members].join('\n');
    for (const tid of [TENANT_A, TENANT_B, TENANT_C, TENANT_D])
      for (const part of token(tid).split('.')) expect(stored).not.toContain(part.slice(0, 16));
  } finally {
    client.disconnect();
  }
});

it('Redis killed mid-run: requests keep succeeding on in-process windows', async () => {
  reset();
  await redis.kill();
  const result = await gql(replicas[2]!, BULK_MUTATION, { inputs: inputs('r2', 4) }, TENANT_B);
  const items = result.data?.updateDeviceConfigurationUserStatuses as Array<{ error: unknown }>;
  expect(items.filter((item) => item.error !== null)).toEqual([]);
  expect(emulator.calls.filter((call) => call.refused)).toEqual([]);
  // One warning, however many calls it served in-process.
  await gql(replicas[2]!, BULK_MUTATION, { inputs: inputs('r2', 3) }, TENANT_B);
  const warnings = replicas[2]!.logs.filter((line) =>
    String(line.msg).startsWith('quota store unreachable'),
  );
  expect(warnings).toHaveLength(1);
}, 30_000);
