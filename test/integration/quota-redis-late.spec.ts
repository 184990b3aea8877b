import Redis from 'ioredis';
import { isQuotaGrant } from '../../src/graph/quota';
import type { QuotaGrant, QuotaHooks, QuotaOutcome } from '../../src/graph/quota';
import { APP_1, TENANT, createQuotaReplicas, waitFor } from '../helpers/quota';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';

/**
 * A late attempt's later date must reach Redis, whatever happened to the connection meanwhile (docs/quotas.md,
 * "Calls that arrive late"): pacers standing for replicas, one real Redis. Window 2 s (margin included), margin
 * 100 ms, 3 app writes. Times are Redis's (`TIME`), as the scripts date entries.
 */
const LIMITS = { windowMs: 2_000, appWrites: 3, tenantWrites: 6, appCalls: 8, tenantCalls: 12 };
const MARGIN_MS = 100;
const KEY = `igg:q:{${TENANT}}:${APP_1.app}:w`;

let redis: TestRedis;
let inspector: Redis;
const { replica, closeAll } = createQuotaReplicas(() => redis.url, LIMITS);

beforeAll(async () => {
  redis = await startRedis();
  inspector = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  inspector.on('error', () => {});
  await inspector.connect();
});
afterEach(async () => {
  await closeAll();
  await waitFor(() => inspector.status === 'ready', 5_000);
  await inspector.flushall();
});
afterAll(async () => {
  inspector.disconnect();
  await redis.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function redisMs(): Promise<number> {
  const [seconds, micros] = await inspector.time();
  return Number(seconds) * 1_000 + Number(micros) / 1_000;
}

/** The scores (ms, Redis's clock) of the app's write window. */
async function scores(): Promise<number[]> {
  const flat = await inspector.zrange(KEY, 0, -1, 'WITHSCORES');
  return flat.filter((_, index) => index % 2 === 1).map((score) => Number(score) / 1_000);
}

function grantOf(outcome: QuotaOutcome): QuotaGrant {
  if (!isQuotaGrant(outcome)) throw new Error(`expected a grant, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/** A replica that says when it falls back and comes back. */
function watched(events: string[]) {
  const hooks: QuotaHooks = {
    fallback: (active) => events.push(active ? 'fallback on' : 'fallback off'),
  };
  return replica({ marginMs: MARGIN_MS, storeTimeoutMs: 200, probeIntervalMs: 100, hooks });
}

it('a late shared grant is dated later in Redis: the margin before its end', async () => {
  const a = await watched([]);
  const grant = grantOf(await a.take(APP_1, 'write', 3, 5_000));
  await sleep(700);
  const endedAt = await redisMs();
  grant.done();
  await waitFor(async () => (await scores()).every((score) => score >= endedAt - MARGIN_MS - 5));
  expect(await scores()).toHaveLength(3);
});

it('the connection drops as the late attempt ends: the later date is written when the replica is back', async () => {
  const events: string[] = [];
  const a = await watched(events);
  const grant = grantOf(await a.take(APP_1, 'write', 3, 5_000));
  await sleep(700);
  // A blip on the replica's connection (an idle reset, a proxy): Redis keeps its data, the later date is lost.
  await inspector.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
  const endedAt = await redisMs();
  grant.done();
  await waitFor(() => events.includes('fallback off'), 5_000);
  const after = await scores();
  expect(after).toHaveLength(3);
  for (const score of after) expect(score).toBeGreaterThanOrEqual(endedAt - MARGIN_MS - 5);
  // Another replica gets the next write no earlier than a window (without the margin) after that end.
  const b = await replica({ marginMs: MARGIN_MS });
  grantOf(await b.take(APP_1, 'write', 1, 5_000));
  expect(await redisMs()).toBeGreaterThanOrEqual(endedAt + LIMITS.windowMs - MARGIN_MS - 5);
}, 15_000);

it('a grant made in-process while Redis was down, written back, then ending late: dated later in Redis too', async () => {
  const events: string[] = [];
  const a = await watched(events);
  await redis.kill();
  await waitFor(() => events.includes('fallback on'), 5_000);
  const grant = grantOf(await a.take(APP_1, 'write', 3, 5_000));
  expect(grant.shared).toBe(false);
  await redis.restart();
  await waitFor(() => events.includes('fallback off'), 5_000);
  await waitFor(() => inspector.status === 'ready', 5_000);
  expect(await scores()).toHaveLength(3);
  await sleep(700);
  const endedAt = await redisMs();
  grant.done();
  await waitFor(async () => (await scores()).every((score) => score >= endedAt - MARGIN_MS - 5));
  expect(await scores()).toHaveLength(3);
}, 20_000);
