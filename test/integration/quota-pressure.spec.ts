import Redis from 'ioredis';
import { configurationId, createEmulatorToken, startEmulator } from '../../emulator';
import type { Emulator, QuotaCall } from '../../emulator';
import { gatewayStartOptions, startBuiltGateway } from '../../bench/lib';
import type { StartedGateway } from '../../bench/lib';
import { isThrottled, overLimit, windowFreesAt } from '../helpers/intune-count';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

/**
 * Issue 23, points 4 and 5, end to end: three gateway processes share one real Redis in front of the emulator in
 * Intune mode, whose limits are smaller than the gateways believe (another client of the same app registration
 * takes the rest). Time is scaled down: Intune's 20 s window is 1 s here (1.5 s in the gateways, with their
 * margin), 100 writes become 6 for Graph and 30 for the gateways. Every count is Intune's, kept by the test from
 * the emulator's call log: a refused call counts (test/helpers/intune-count.ts).
 */
const WINDOW_MS = 1_000;
const GRAPH_APP_WRITES = 6;
const GATEWAY_APP_WRITES = 30;
const MAX_HOLD_MS = 2_000;
const APP = '0c0c0c0c-0000-4000-8000-00000000000c';
const tenant = (n: number) => `0${n}0${n}0${n}0${n}-0000-4000-8000-00000000000${n}`;
const c = configurationId('windows10-general');
const SCOPES = ['DeviceManagementConfiguration.ReadWrite.All'];
const token = (tid: string) => createEmulatorToken(SCOPES, { tid, appid: APP });
const UPDATE = /* GraphQL */ `
  mutation One($input: UpdateDeviceConfigurationUserStatusInput!) {
    updateDeviceConfigurationUserStatus(input: $input) {
      userStatus {
        id
      }
    }
  }
`;

let redis: TestRedis;
let emulator: Emulator;
let replicas: StartedGateway[];
let redisClient: Redis;

interface Answer {
  errors?: Array<{ extensions?: Record<string, unknown> }>;
}

async function write(gateway: StartedGateway, bearer: string, id: string): Promise<Answer> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({
      query: UPDATE,
      variables: { input: { deviceConfigurationId: c, userStatusId: id, status: 'COMPLIANT' } },
    }),
  });
  return (await response.json()) as Answer;
}

/** A fresh emulator with Graph's limits as given, and `count` statuses named after each prefix. */
function reset(prefixes: readonly string[], count: number, throttleRetryAfter = true): void {
  emulator.reset();
  emulator.configure({
    throttleRetryAfter,
    quotas: { appWrites: GRAPH_APP_WRITES, tenantWrites: 100, appCalls: 100, tenantCalls: 200 },
  });
  for (const prefix of prefixes)
    for (let index = 0; index < count; index += 1)
      emulator.store.put(c, { id: `${prefix}-${index}`, status: 'error' });
}

const BULK = /* GraphQL */ `
  mutation Bulk($inputs: [UpdateDeviceConfigurationUserStatusInput!]!) {
    updateDeviceConfigurationUserStatuses(inputs: $inputs) {
      error {
        code
      }
    }
  }
`;

/** `count` writes in one bulk mutation (one `$batch` up to 20): each item's error, or null. */
async function bulkWrite(
  gateway: StartedGateway,
  bearer: string,
  prefix: string,
  first: number,
  count: number,
): Promise<Array<{ error: unknown }>> {
  const inputs = Array.from({ length: count }, (_, index) => ({
    deviceConfigurationId: c,
    userStatusId: `${prefix}-${first + index}`,
    status: 'COMPLIANT',
  }));
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query: BULK, variables: { inputs } }),
  });
  const body = (await response.json()) as { data: Record<string, Array<{ error: unknown }>> };
  return body.data.updateDeviceConfigurationUserStatuses!;
}

async function redisHas(key: string): Promise<boolean> {
  return (await redisClient.exists(key)) === 1;
}

const READ = /* GraphQL */ `
  query Get($c: ID!, $s: ID!) {
    deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) {
      id
    }
  }
`;

/**
 * One read per replica: the token is then proven on each (Graph accepted it), as a regular caller's is. Reads, so
 * that Graph's write window starts empty.
 */
async function prove(bearer: string, prefix: string): Promise<void> {
  for (const replica of replicas) {
    const response = await fetch(replica.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query: READ, variables: { c, s: `${prefix}-0` } }),
    });
    expect(((await response.json()) as Answer).errors).toBeUndefined();
  }
}

/** The tenant's writes Graph saw from the `from`-th call of its log on. */
const writesOf = (tid: string, from = 0): QuotaCall[] =>
  emulator.calls.slice(from).filter((call) => call.tenant === tid && call.kind === 'write');

beforeAll(async () => {
  redis = await startRedis();
  redisClient = new Redis(redis.url);
  emulator = await startEmulator({ mode: 'intune', quotas: { windowMs: WINDOW_MS } });
  const env = {
    GRAPH_BASE_URL: emulator.baseUrl,
    REDIS_URL: redis.url,
    GRAPH_QUOTA_REPLICAS: '3',
    GRAPH_QUOTA_WINDOW_MS: String(WINDOW_MS),
    GRAPH_QUOTA_APP_WRITES: String(GATEWAY_APP_WRITES),
    GRAPH_QUOTA_TENANT_WRITES: '60',
    GRAPH_QUOTA_APP_CALLS: '300',
    GRAPH_QUOTA_TENANT_CALLS: '600',
    GRAPH_QUOTA_MAX_HOLD_MS: String(MAX_HOLD_MS),
    // Intune's 3 s SDK backoff against its 20 s window, scaled like the window.
    GRAPH_RETRY_BASE_DELAY_MS: '150',
    GRAPH_MAX_RETRIES: '5',
    GRAPH_DEADLINE_MS: '20000',
    // The request log line: how long the gateway took to answer each request.
    LOG_LEVEL: 'info',
  };
  replicas = await Promise.all([0, 1, 2].map(() => startBuiltGateway(env, gatewayStartOptions())));
}, 60_000);
afterAll(async () => {
  redisClient?.disconnect();
  await Promise.all((replicas ?? []).map((replica) => replica.stop()));
  await emulator?.close();
  await redis?.stop();
});

// The storm and the two Retry-After holds run at once: they mostly wait (for windows, for holds), and each has a
// tenant, statuses and a fault of its own, so each reads only its own calls. Jest runs a block's concurrent tests
// together, after its beforeAll. The 429s without Retry-After (another emulator setting) and the forged burst (CPU,
// which the holds' timings must not compete with) run after them, alone.
beforeAll(() => reset(['s', 'r', 'q'], 25));

it.concurrent(
  'a storm with Retry-After: once the first 429 holds the tenant, at most 10 more 429s, and every write done',
  async () => {
    const tid = tenant(1);
    const bearer = token(tid);
    await prove(bearer, 's');
    const from = emulator.calls.length;
    // The first burst: 16 writes in one $batch through one replica (the gateways' 30 let them all go); Graph
    // takes 6 and refuses 10, with Retry-After.
    const bulk = bulkWrite(replicas[0]!, bearer, 's', 3, 16);
    await waitFor(() => redisHas(`igg:q:{${tid}}:${APP}:b`), 5_000);
    // The first hold is in Redis: six more writes through the two other replicas.
    const singles = Array.from({ length: 6 }, (_, index) =>
      write(replicas[1 + (index % 2)]!, bearer, `s-${19 + index}`),
    );
    expect((await bulk).filter((item) => item.error !== null)).toEqual([]);
    expect((await Promise.all(singles)).filter((answer) => answer.errors !== undefined)).toEqual(
      [],
    );
    const calls = writesOf(tid, from);
    expect(calls.slice(0, 16).every((call) => call.batched)).toBe(true);
    expect(calls.slice(0, 16).filter(isThrottled)).toHaveLength(16 - GRAPH_APP_WRITES);
    const after = calls.slice(16);
    expect(after.filter(isThrottled).length).toBeLessThanOrEqual(10);
    expect(overLimit(calls, WINDOW_MS, GRAPH_APP_WRITES).length).toBeLessThanOrEqual(10 + 10);
    expect(calls.filter((call) => !isThrottled(call))).toHaveLength(22);
    // The limit was lowered, and said so.
    const lowered = replicas.flatMap((replica) =>
      replica.logs.filter((line) => String(line.msg).startsWith('Graph throttled below')),
    );
    expect(lowered.find((line) => line.tenant === tid)).toMatchObject({
      app: APP,
      kind: 'write',
      configured: 30,
    });
  },
  30_000,
);

it.concurrent.each<[string, number, string | undefined, number, string]>([
  // Retry-After, the longest hold it may give, what the throttled caller gets: a day is capped (and too long
  // for the retry loop: THROTTLED); an unreadable one holds a whole window (and the call is retried after it).
  // Then the tenant and the statuses of each.
  ['100000000000000000000', MAX_HOLD_MS, 'THROTTLED', 3, 'r'],
  ['1e20', WINDOW_MS + 500, undefined, 5, 'q'],
])(
  'Retry-After: %s holds the tenant and app at most %i ms, on every replica',
  async (retryAfter, hold, code, n, prefix) => {
    const tid = tenant(n);
    const bearer = token(tid);
    await prove(bearer, prefix);
    const [first, other] = [`${prefix}-3`, `${prefix}-2`];
    emulator.faults.add({ method: 'PATCH', path: first, status: 429, retryAfter, times: 1 });
    const throttled = write(replicas[0]!, bearer, first);
    const block = `igg:q:{${tid}}:${APP}:b`;
    await waitFor(() => redisHas(block), 5_000);
    const pttl = await redisClient.pttl(block);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(hold);
    const throttledAt = emulator.requests.find((request) =>
      request.url.includes(first),
    )!.receivedAt;
    // Another replica's write waits for the hold, then goes: not a day, not THROTTLED.
    expect((await write(replicas[1]!, bearer, other)).errors).toBeUndefined();
    expect((await throttled).errors?.[0]?.extensions?.code).toBe(code);
    const next = emulator.requests.filter((request) => request.url.includes(other)).at(-1)!;
    expect(next.receivedAt - throttledAt).toBeGreaterThanOrEqual(hold - 500);
  },
  30_000,
);

it('a 429 without Retry-After holds a whole window: at most 5 calls reach Graph before its window frees', async () => {
  const tid = tenant(2);
  const bearer = token(tid);
  reset(['n'], 18, false);
  await prove(bearer, 'n');
  const from = emulator.calls.length;
  // A steady stream, faster than Graph's budget: one write every 30 ms.
  const answers: Array<Promise<Answer>> = [];
  for (let index = 0; index < 15; index += 1) {
    answers.push(write(replicas[index % 3]!, bearer, `n-${index + 3}`));
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  await Promise.all(answers);
  const calls = writesOf(tid, from);
  const firstThrottled = calls.find(isThrottled)!;
  const frees = windowFreesAt(calls, WINDOW_MS, GRAPH_APP_WRITES, firstThrottled.at);
  const whileThrottling = calls.filter((call) => call.at > firstThrottled.at && call.at < frees);
  expect(whileThrottling.length).toBeLessThanOrEqual(5);
  expect(calls.filter((call) => !isThrottled(call))).toHaveLength(15);
}, 30_000);

/** An unsigned token with the victim's claims, expired: Graph (the emulator) refuses it with 401. */
const forged = (tid: string, n: number) =>
  createEmulatorToken(SCOPES, { tid, appid: APP, jti: `forged-${n}`, exp: 1 });

it('400 forged writes with the victim’s tid and appid: the victim’s writes go at once, not behind the forged ones', async () => {
  const tid = tenant(4);
  const bearer = token(tid);
  reset(['f'], 6);
  await prove(bearer, 'f');
  const forgedAnswers = Array.from({ length: 400 }, (_, n) =>
    write(replicas[n % 3]!, forged(tid, n), 'f-5'),
  );
  let forgedDone = 0;
  for (const answer of forgedAnswers) void answer.then(() => (forgedDone += 1));
  try {
    // The burst is under way: forged calls have reached Graph and been refused.
    await waitFor(
      () => emulator.requests.filter((request) => request.url.includes('f-5')).length >= 3,
      10_000,
    );
    const answeredOne = (index: number) =>
      replicas[index]!.logs.filter(
        (line) =>
          line.msg === 'request completed' &&
          line.operationName === 'One' &&
          (line.errorCodes as unknown[]).length === 0,
      );
    const earlier = replicas.map((_replica, index) => answeredOne(index).length);
    const victims = replicas.map(async (replica, index) => {
      const answer = await write(replica, bearer, `f-${index}`);
      return { answer, forgedDone };
    });
    const results = await Promise.all(victims);
    for (const [index, { answer, forgedDone: before }] of results.entries()) {
      expect(answer.errors).toBeUndefined();
      expect(before).toBeLessThan(400);
      // How long the gateway took (its request log line; the test process, which also runs the emulator and the
      // 400 forged requests' clients, sees more): 0.06 to 0.4 s measured, 1.5 to 2.9 s on the shared two-core
      // machine under load. Bounded at 3 s so that CPU contention alone does not fail it; the order below is the
      // stronger check. Before the gate, the victim waited behind the forged calls (and, with Intune's numbers,
      // 20 s, then THROTTLED).
      // The victim's line comes through the replica's stdout, after its answer: wait for it to arrive.
      await waitFor(() => answeredOne(index).length > earlier[index]!, 5_000, 20);
      expect(answeredOne(index).at(-1)?.durationMs).toBeLessThan(3_000);
    }
  } finally {
    await Promise.allSettled(forgedAnswers);
  }
  // Not queued behind the forged calls, which reached the gateways first: forged calls still reached Graph after
  // the victim's last write. How many went before it depends on how fast the gateways turn forged calls round while
  // the victim is on its way (25 to 36 of 400 here when quiet, 334 once in a full suite run at load 6), not on the
  // order of the queue: before the gate, the victim waited behind all of them.
  const patches = emulator.requests.filter(
    (request) => request.method === 'PATCH' && request.url.includes('/f-'),
  );
  const isForged = (request: (typeof patches)[number]) => request.url.includes('f-5');
  const lastVictim = patches.length - 1 - [...patches].reverse().findIndex((r) => !isForged(r));
  const forgedCalls = patches.filter(isForged);
  const forgedBefore = patches.slice(0, lastVictim).filter(isForged);
  expect(forgedCalls).toHaveLength(400);
  expect(forgedBefore.length).toBeLessThan(forgedCalls.length);
  const refused = await Promise.all(forgedAnswers);
  expect(
    refused.every((answer) => answer.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED'),
  ).toBe(true);
  // Graph charged the forged calls nothing: they never got past authentication.
  expect(writesOf(tid).filter((call) => call.path.includes('f-5'))).toEqual([]);
}, 30_000);
