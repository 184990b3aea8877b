import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { configurationId, createEmulatorToken } from '../../emulator';
import { startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';
import { persistedQuery } from '../helpers/persisted';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

/**
 * Automatic persisted queries share the quota windows' Redis, and any caller may register a document (no token is
 * needed to send one). Found 2026-12-06: one client with no token, 8 connections and 40 KB documents filled a 96 MB
 * Redis in 7 s; with `noeviction` every replica's quota windows then fell back, for the hour the documents lived.
 * APQ now writes to Redis only while it is less than half full.
 */
const MAX_MEMORY = 8 * 1024 * 1024;
const c = configurationId('windows10-general');
const AUTH = {
  authorization: `Bearer ${createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], {
    tid: '45454545-0000-4000-8000-000000000045',
    appid: '0c0c0c0c-0000-4000-8000-00000000000c',
  })}`,
};
const GET = /* GraphQL */ `
  query Get($c: ID!, $s: ID!) {
    deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) {
      id
    }
  }
`;

let redis: TestRedis;
let inspector: Redis;
let harness: Harness;
beforeAll(async () => {
  redis = await startRedis();
  inspector = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  await inspector.config('SET', 'maxmemory', String(MAX_MEMORY));
  harness = await startHarness({
    emulator: { quotas: { enabled: false } },
    env: { REDIS_URL: redis.url, GRAPH_QUOTA_REPLICAS: '2' },
  });
});
afterAll(async () => {
  await harness.close();
  inspector.disconnect();
  await redis.stop();
});

const usedMemory = async () =>
  Number(/^used_memory:(\d+)/m.exec(await inspector.info('memory'))?.[1]);

/** A valid document of about 40 KB that no one registered before (a comment pads it). */
const hostileDocument = () =>
  `query Q${randomUUID().replace(/-/g, '')} { __typename } # ${'a'.repeat(40_000)}`;

async function register(): Promise<number> {
  const query = hostileDocument();
  const response = await fetch(harness.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, extensions: persistedQuery(query) }),
  });
  await response.arrayBuffer();
  return response.status;
}

it('a flood of registrations without a token stops at half of maxmemory; the quota windows stay shared', async () => {
  harness.emulator.store.put(c, { id: 'room-1', status: 'error' });
  const before = await usedMemory();
  // 8 connections, 400 documents of 40 KB: 16 MB, twice the Redis.
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let k = 0; k < 50; k += 1) statuses.push(await register());
    }),
  );
  expect(statuses.every((status) => status === 200)).toBe(true);
  const lines = () => harness.gateway.logs.map((line) => JSON.parse(line) as { msg: string });
  await waitFor(() =>
    lines().some((line) =>
      line.msg.startsWith('Redis is nearly half full: new automatic persisted queries'),
    ),
  );
  // Each replica writes its part (of GRAPH_QUOTA_REPLICAS) of what was left at its last reading: never past half.
  const used = await usedMemory();
  expect(used).toBeGreaterThan(before + 1_000_000);
  expect(used).toBeLessThan(0.5 * MAX_MEMORY);
  // A Graph call takes from the shared windows: Redis still accepts their writes.
  const { body } = await harness.gateway.gql(GET, { c, s: 'room-1' }, AUTH);
  expect(body.errors).toBeUndefined();
  expect(lines().filter((line) => line.msg.startsWith('quota store unreachable'))).toEqual([]);
  expect(await inspector.keys('igg:q:*')).not.toEqual([]);
});

it('a Redis without maxmemory: nothing to keep to, so documents stay in-process, said once', async () => {
  await inspector.config('SET', 'maxmemory', '0');
  // The gateway reads INFO again at its next registration, a reading period (250 ms) after the last.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await register();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const keysBefore = (await inspector.keys('intune-gateway:apq:*')).length;
  for (let k = 0; k < 5; k += 1) expect(await register()).toBe(200);
  expect((await inspector.keys('intune-gateway:apq:*')).length).toBe(keysBefore);
  const warnings = harness.gateway.logs
    .map((line) => JSON.parse(line) as { msg: string })
    .filter((line) =>
      line.msg.startsWith('Redis for automatic persisted queries has no maxmemory'),
    );
  expect(warnings).toHaveLength(1);
});
