import Redis from 'ioredis';
import { configurationId, createEmulatorToken, startEmulator } from '../../emulator';
import type { Emulator } from '../../emulator';
import { startGateway } from '../helpers/harness';
import type { Gateway } from '../helpers/harness';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

/**
 * A 429 answered to a token Graph has not accepted (docs/quotas.md, "Tokens Graph has not accepted"): two gateways
 * share one real Redis in front of the emulator in Intune mode, whose faults answer 429 before it looks at the
 * token, as Graph's front door may. A forged token (the victim's `tid` and `appid`, expired and unsigned) that gets
 * one must hold neither the victim's tenant and app, on either replica, nor lower their limit: only itself. A
 * proven token's 429 still holds the tenant and app everywhere. Retry-After 30 s is past GRAPH_MAX_RETRY_DELAY_MS
 * (THROTTLED at once, nothing waited) and a hold that long is past every deadline (refused at once): nothing here
 * waits for a hold, and a call that is held shows as THROTTLED without reaching Graph.
 */
const APP = '0c0c0c0c-0000-4000-8000-00000000000c';
const tenant = (n: number) => `0${n}0${n}0${n}0${n}-0000-4000-8000-00000000000${n}`;
const SCOPES = ['DeviceManagementConfiguration.ReadWrite.All'];
const genuine = (tid: string, jti = 'genuine') =>
  createEmulatorToken(SCOPES, { tid, appid: APP, jti });
const forged = (tid: string) =>
  createEmulatorToken(SCOPES, { tid, appid: APP, jti: 'forged', exp: 1 });
const c = configurationId('windows10-general');
const UPDATE = /* GraphQL */ `
  mutation One($input: UpdateDeviceConfigurationUserStatusInput!) {
    updateDeviceConfigurationUserStatus(input: $input) {
      userStatus {
        id
        status
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
let inspector: Redis;
let emulator: Emulator;
let replicas: Gateway[];

beforeAll(async () => {
  redis = await startRedis();
  inspector = new Redis(redis.url);
  emulator = await startEmulator({ mode: 'intune', quotas: { windowMs: 1_000 } });
  const env = {
    GRAPH_BASE_URL: emulator.baseUrl,
    REDIS_URL: redis.url,
    GRAPH_QUOTA_REPLICAS: '2',
    GRAPH_QUOTA_WINDOW_MS: '1000',
    GRAPH_QUOTA_MAX_HOLD_MS: '60000',
    GRAPH_MAX_RETRY_DELAY_MS: '2000',
    GRAPH_DEADLINE_MS: '5000',
  };
  replicas = await Promise.all([startGateway(env), startGateway(env)]);
  for (const prefix of ['f', 'p', 'n'])
    for (let index = 0; index < 4; index += 1)
      emulator.store.put(c, { id: `${prefix}-${index}`, status: 'error' });
}, 30_000);
afterAll(async () => {
  await Promise.all((replicas ?? []).map((replica) => replica.close()));
  inspector?.disconnect();
  await emulator?.close();
  await redis?.stop();
});

async function write(replica: Gateway, bearer: string, s: string) {
  const input = { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' };
  const { body } = await replica.gql(UPDATE, { input }, { authorization: `Bearer ${bearer}` });
  return body.errors?.[0]?.extensions ?? 'ok';
}

/** One read through each replica: Graph accepts the token, so each replica counts it proven. */
async function prove(bearer: string, s: string): Promise<void> {
  for (const replica of replicas) {
    const { body } = await replica.gql(READ, { c, s }, { authorization: `Bearer ${bearer}` });
    expect(body.errors).toBeUndefined();
  }
}

/** The PATCHes Graph received for a status, by the token they carried. */
const patches = (s: string) =>
  emulator.requests
    .filter((request) => request.method === 'PATCH' && request.url.endsWith(`/userStatuses/${s}`))
    .map((request) => request.headers.authorization);

const blockKey = (tid: string) => `igg:q:{${tid}}:${APP}:b`;
const lowered = (tid: string) =>
  replicas.flatMap((replica) =>
    replica.logs.filter((line) => line.includes('Graph throttled below') && line.includes(tid)),
  );

it('a forged token’s 429 holds only that token: the victim’s writes reach Graph through both replicas', async () => {
  const tid = tenant(1);
  await prove(genuine(tid), 'f-0');
  emulator.faults.add({ method: 'PATCH', path: 'f-3', status: 429, retryAfter: '30', times: 1 });
  expect(await write(replicas[0]!, forged(tid), 'f-3')).toMatchObject({
    code: 'THROTTLED',
    retryAfterSeconds: 30,
  });
  // Before, the victim's tenant and app were held 30 s on both replicas: these were THROTTLED, never sent.
  expect(await write(replicas[0]!, genuine(tid), 'f-1')).toBe('ok');
  expect(await write(replicas[1]!, genuine(tid), 'f-2')).toBe('ok');
  expect([patches('f-1'), patches('f-2')]).toEqual([
    [`Bearer ${genuine(tid)}`],
    [`Bearer ${genuine(tid)}`],
  ]);
  expect(emulator.store.statusesOf(c).get('f-1')?.status).toBe('compliant');
  // The forged token itself is held: its next write is refused without reaching Graph.
  expect(await write(replicas[0]!, forged(tid), 'f-3')).toMatchObject({ code: 'THROTTLED' });
  expect(patches('f-3')).toEqual([`Bearer ${forged(tid)}`]);
  // Nothing shared, nothing lowered.
  expect(await inspector.exists(blockKey(tid))).toBe(0);
  expect(lowered(tid)).toEqual([]);
});

it('a proven token’s 429 still holds its tenant and app on both replicas, and lowers their limit', async () => {
  const tid = tenant(2);
  await prove(genuine(tid), 'p-0');
  emulator.faults.add({ method: 'PATCH', path: 'p-3', status: 429, retryAfter: '30', times: 1 });
  expect(await write(replicas[0]!, genuine(tid), 'p-3')).toMatchObject({ code: 'THROTTLED' });
  const pttl = await inspector.pttl(blockKey(tid));
  expect(pttl).toBeGreaterThan(20_000);
  expect(pttl).toBeLessThanOrEqual(30_000);
  // Held on the other replica too, and for another token of the tenant and app: not sent.
  expect(await write(replicas[1]!, genuine(tid, 'other'), 'p-1')).toMatchObject({
    code: 'THROTTLED',
  });
  expect(patches('p-1')).toEqual([]);
  await waitFor(() => lowered(tid).length > 0, 2_000);
});

it('a genuine new token’s first 429 is waited out (Retry-After 1 s), and holds nobody else', async () => {
  const tid = tenant(3);
  await prove(genuine(tid), 'n-0');
  emulator.faults.add({ method: 'PATCH', path: 'n-3', status: 429, retryAfter: '1', times: 1 });
  const fresh = genuine(tid, 'fresh');
  const retried = write(replicas[0]!, fresh, 'n-3');
  await waitFor(() => patches('n-3').length === 1, 5_000, 10);
  // While the new token waits, its tenant's proven caller goes through either replica.
  expect(await write(replicas[0]!, genuine(tid), 'n-1')).toBe('ok');
  expect(await write(replicas[1]!, genuine(tid), 'n-2')).toBe('ok');
  expect(await retried).toBe('ok');
  expect(patches('n-3')).toEqual([`Bearer ${fresh}`, `Bearer ${fresh}`]);
  const [first, again] = emulator.requests.filter(
    (request) => request.method === 'PATCH' && request.url.endsWith('/userStatuses/n-3'),
  );
  expect(again!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1_000);
  expect(await inspector.exists(blockKey(tid))).toBe(0);
  expect(lowered(tid)).toEqual([]);
});
