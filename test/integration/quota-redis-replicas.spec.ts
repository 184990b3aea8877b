import { configurationId, createEmulatorToken, startEmulator } from '../../emulator';
import type { Emulator } from '../../emulator';
import { gatewayStartOptions, startBuiltGateway } from '../../bench/lib';
import type { StartedGateway } from '../../bench/lib';
import { BULK_MUTATION } from '../helpers/documents';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

/**
 * Issue 23's store cases end to end, time scaled down: three gateway processes share one real Redis in front of the
 * emulator in Intune mode, and every call the emulator saw (refused ones included) is counted as Intune counts
 * them. Intune's 100 writes per app per 20 s become 10 per 500 ms; "600 writes" become 60 (six windows).
 *
 * The margin (GRAPH_QUOTA_MARGIN_MS) covers the spread between a call's grant and its arrival, which does not shrink
 * with the window: on a loaded two-core test machine it was measured from 5 ms to over 2 s. So the gateways here
 * count each call for 1.5 s (500 ms and a 1 s margin), and their pace is measured against that window.
 */
const WINDOW_MS = 500;
const MARGIN_MS = 1_000;
const GATEWAY_WINDOW_MS = WINDOW_MS + MARGIN_MS;
const APP_WRITES = 10;
const LIMITS = { appWrites: APP_WRITES, tenantWrites: 20, appCalls: 100, tenantCalls: 200 };
const APP = '0c0c0c0c-0000-4000-8000-00000000000c';
/** Another app of the same tenant: its calls do not queue behind the first app's, they ask Redis at once. */
const APP_2 = '0d0d0d0d-0000-4000-8000-00000000000d';
const tenant = (n: number) => `2${n}2${n}2${n}2${n}-0000-4000-8000-00000000000${n}`;
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

let redis: TestRedis;
let emulator: Emulator;
let replicas: StartedGateway[];

beforeAll(async () => {
  redis = await startRedis();
  emulator = await startEmulator({ mode: 'intune', quotas: { windowMs: WINDOW_MS, ...LIMITS } });
  const env = {
    GRAPH_BASE_URL: emulator.baseUrl,
    REDIS_URL: redis.url,
    GRAPH_QUOTA_REPLICAS: '3',
    GRAPH_DEADLINE_MS: '20000',
    GRAPH_QUOTA_WINDOW_MS: String(WINDOW_MS),
    GRAPH_QUOTA_MARGIN_MS: String(MARGIN_MS),
    GRAPH_QUOTA_APP_WRITES: String(LIMITS.appWrites),
    GRAPH_QUOTA_TENANT_WRITES: String(LIMITS.tenantWrites),
    GRAPH_QUOTA_APP_CALLS: String(LIMITS.appCalls),
    GRAPH_QUOTA_TENANT_CALLS: String(LIMITS.tenantCalls),
    LOG_LEVEL: 'info',
  };
  // At once: this runner is the suite's longest, so its start-up is on the critical path. They started one after
  // another when a start from source took several CPU-seconds (tsx) and three at once could miss the 15 s limit;
  // with the compile cache a start costs about half a CPU-second.
  replicas = await Promise.all([0, 1, 2].map(() => startBuiltGateway(env, gatewayStartOptions())));
}, 60_000);
afterAll(async () => {
  await Promise.all((replicas ?? []).map((replica) => replica.stop()));
  await emulator?.close();
  await redis?.stop();
});

/** One write as tenant `tid` through `replica`: `ok` or the error code. */
async function write(replica: StartedGateway, tid: string, id: string, appid = APP) {
  const token = createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], {
    tid,
    appid,
  });
  const input = { deviceConfigurationId: c, userStatusId: id, status: 'COMPLIANT' };
  const response = await fetch(replica.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: UPDATE, variables: { input } }),
  });
  const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
  return body.errors?.[0]?.extensions?.code ?? 'ok';
}

/** `count` writes in one bulk mutation: each item's outcome. */
async function bulk(replica: StartedGateway, tid: string, prefix: string, count: number) {
  const token = createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], {
    tid,
    appid: APP,
  });
  const inputs = ids(prefix, count).map((id) => ({
    deviceConfigurationId: c,
    userStatusId: id,
    status: 'COMPLIANT',
  }));
  const response = await fetch(replica.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: BULK_MUTATION, variables: { inputs } }),
  });
  const body = (await response.json()) as {
    data?: { updateDeviceConfigurationUserStatuses?: Array<{ error: { code: string } | null }> };
    errors?: Array<{ extensions?: { code?: string } }>;
  };
  const items = body.data?.updateDeviceConfigurationUserStatuses;
  // A bulk refused whole has no items: each input's outcome is then the refusal (an empty list read as all 'ok').
  if (!items)
    return inputs.map(() => body.errors?.[0]?.extensions?.code ?? `HTTP ${response.status}`);
  return items.map((item) => item.error?.code ?? 'ok');
}

const ids = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

function seed(prefix: string, count: number): void {
  for (const id of ids(prefix, count)) emulator.store.put(c, { id, status: 'error' });
}

/**
 * Calls over the limit as Intune counts them: a call that arrives when `limit` calls (accepted or refused) are
 * already in the window before it is over, and counts itself. One app's writes, or (`app` null) the tenant's.
 */
function overLimit(tid: string, limit: number, app: string | null = APP): number {
  const times = emulator.calls
    .filter((call) => call.tenant === tid && (app === null || call.app === app))
    .filter((call) => call.kind === 'write')
    .map((call) => call.at)
    .sort((a, b) => a - b);
  let over = 0;
  let first = 0;
  times.forEach((at, index) => {
    while (at - times[first]! >= WINDOW_MS) first += 1;
    if (index - first >= limit) over += 1;
  });
  return over;
}

const writesOf = (tid: string) =>
  emulator.calls.filter((call) => call.tenant === tid && call.kind === 'write');
const all = (outcomes: readonly string[]) => [...new Set(outcomes)];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every replica's last line saying it is back on Redis, after `since`. */
function returnedAt(replica: StartedGateway, since: number): number | undefined {
  return replica.logs
    .filter((line) => String(line.msg).startsWith('quota store reachable again'))
    .map((line) => Number(line.time))
    .find((time) => time >= since);
}

/** `count` singles spread over the replicas and a bulk of `count` through one, all at once. */
async function burst(tid: string, prefix: string, count: number, during?: () => Promise<string[]>) {
  seed(`${prefix}s`, count);
  seed(`${prefix}b`, count);
  const singles = ids(`${prefix}s`, count).map((id, index) => write(replicas[index % 3]!, tid, id));
  const load = Promise.all([Promise.all(singles), bulk(replicas[0]!, tid, `${prefix}b`, count)]);
  const more = (await during?.()) ?? [];
  const [single, items] = await load;
  return [...single, ...items, ...more];
}

beforeAll(async () => {
  // One write through each replica first: the first call of a fresh process is slower than the rest.
  seed('w', 3);
  const first = replicas.map((replica, index) => write(replica, tenant(9), `w-${index}`));
  expect(await Promise.all(first)).toEqual(['ok', 'ok', 'ok']);
});

it('a burst with a healthy Redis: every write done, none over the limit, at the pace of the window', async () => {
  emulator.reset();
  const tid = tenant(1);
  const outcomes = await burst(tid, 'h', 30);
  expect(all(outcomes)).toEqual(['ok']);
  const calls = writesOf(tid);
  expect(calls).toHaveLength(60);
  expect(overLimit(tid, APP_WRITES)).toBe(0);
  expect(calls.filter((call) => call.refused)).toEqual([]);
  // Six windows' worth: Intune's minimum is five windows from the first call to the last; the gateway's, five of
  // its own (with the margin). Within 1.1 times that: nothing is lost to the pacing itself.
  const span =
    Math.max(...calls.map((call) => call.at)) - Math.min(...calls.map((call) => call.at));
  expect(span).toBeGreaterThanOrEqual(5 * WINDOW_MS);
  expect(span).toBeLessThanOrEqual(1.1 * 5 * GATEWAY_WINDOW_MS);
}, 30_000);

it('Redis stalled 1.5 s mid-burst (SIGSTOP/SIGCONT): every write done, none over the limit', async () => {
  emulator.reset();
  const tid = tenant(2);
  seed('fx', 10);
  const outcomes = await burst(tid, 'f', 10, async () => {
    await waitFor(() => writesOf(tid).length >= APP_WRITES, 10_000, 5);
    redis.freeze();
    try {
      // Ten writes of another app of the tenant arrive while Redis says nothing: their takes wait out the 1 s
      // timeout, and their replicas fall back, with the first app's calls still waiting in their queues.
      const during = Promise.all(
        ids('fx', 10).map((id, index) => write(replicas[index % 3]!, tid, id, APP_2)),
      );
      await sleep(1_500);
      redis.thaw();
      return await during;
    } finally {
      redis.thaw();
    }
  });
  expect(all(outcomes)).toEqual(['ok']);
  expect(writesOf(tid)).toHaveLength(30);
  expect(overLimit(tid, APP_WRITES)).toBe(0);
  expect(overLimit(tid, APP_WRITES, APP_2)).toBe(0);
  expect(overLimit(tid, LIMITS.tenantWrites, null)).toBe(0);
  // The stall was seen: a replica whose take was waiting when Redis froze fell back on the timeout. Not every
  // replica need have been asking Redis during those 1.5 s on a busy machine (its calls may still have been on
  // their way in); what must hold whatever the timing is the count above.
  const fellBack = replicas.filter((replica) =>
    replica.logs.some((line) => line.cause === 'timeout after 1000 ms'),
  );
  expect(fellBack.length).toBeGreaterThanOrEqual(1);
}, 30_000);

it('uneven traffic, then Redis dies and the quiet replicas burst: none over the limit', async () => {
  emulator.reset();
  const tid = tenant(3);
  // Replica A sends 8 writes, then B 2: B saw the window full (10 of 10), 2 of them its own.
  seed('ua', 8);
  seed('ub', 2);
  expect(all(await bulk(replicas[0]!, tid, 'ua', 8))).toEqual(['ok']);
  expect(all(await bulk(replicas[1]!, tid, 'ub', 2))).toEqual(['ok']);
  await redis.kill();
  // B and C each send their third of the limit at once: with a share counted from zero, 4 more than the limit.
  seed('uc', 3);
  seed('ud', 3);
  const [b, cc] = await Promise.all([
    bulk(replicas[1]!, tid, 'uc', 3),
    bulk(replicas[2]!, tid, 'ud', 3),
  ]);
  expect(all([...b, ...cc])).toEqual(['ok']);
  expect(writesOf(tid)).toHaveLength(16);
  expect(overLimit(tid, APP_WRITES)).toBe(0);
  const restarting = Date.now();
  await redis.restart();
  await waitFor(() => replicas.slice(1).every((replica) => returnedAt(replica, restarting)), 5_000);
}, 30_000);

it('Redis killed mid-load and back empty one window later: none over the limit, every replica back within 2 s', async () => {
  emulator.reset();
  const tid = tenant(4);
  seed('k', 100);
  const stop = Date.now() + 4_000;
  let next = 0;
  const outcomes: string[] = [];
  // Three writers per replica, each sending one write after another until `stop`.
  const writer = async (replica: StartedGateway) => {
    while (Date.now() < stop) outcomes.push(await write(replica, tid, `k-${next++ % 100}`));
  };
  const load = Promise.all(
    replicas.flatMap((replica) => Array.from({ length: 3 }, () => writer(replica))),
  );
  // As in the issue (20 s windows, Redis killed at 5 s and back at 25 s): down a quarter into the load, for a window.
  await sleep(GATEWAY_WINDOW_MS / 4);
  await redis.kill();
  await sleep(GATEWAY_WINDOW_MS);
  const restarting = Date.now();
  await redis.restart();
  await load;
  expect(all(outcomes)).toEqual(['ok']);
  expect(overLimit(tid, APP_WRITES)).toBe(0);
  // Each replica came back on its own probe, within 2 s of Redis's return (its start included).
  for (const replica of replicas) {
    const back = returnedAt(replica, restarting);
    expect(back).toBeDefined();
    expect(back! - restarting).toBeLessThanOrEqual(2_000);
  }
  // The load went on through the outage: more than one window's worth.
  expect(writesOf(tid).length).toBeGreaterThan(APP_WRITES);
}, 30_000);
