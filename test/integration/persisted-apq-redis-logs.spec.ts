import Redis from 'ioredis';
import pino from 'pino';
import type { Logger } from 'pino';
import { loadConfig } from '../../src/config';
import { createGatewayServer } from '../../src/gateway';
import { createLogger } from '../../src/observability/logging';
import { memoryLog } from '../helpers/harness';
import { persistedQuery } from '../helpers/persisted';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

/**
 * What the gateway logs when the Redis of automatic persisted queries fails: the words an operator needs (the
 * error's message and code, the node as host:port), never the error object. Its stack, and what ioredis hangs on it
 * (`command.args`: a key and a document's text, or the password AUTH sent), would go out whole through pino's
 * default serializer, which a logger handed to createGatewayServer may use. A real redis-server with a password.
 */
const PASSWORD = 'apq-redis-secret-41c9';
const TOKEN = 'apq-logs-bearer-token-8d2e60';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let redis: TestRedis;
let admin: Redis;
const closing: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url, { maxRetriesPerRequest: 0 });
  admin.on('error', () => {});
  await admin.config('SET', 'requirepass', PASSWORD);
  await admin.auth(PASSWORD);
});
afterEach(async () => {
  await Promise.all(closing.splice(0).map((close) => close()));
  admin.disconnect();
  await redis.stop();
});

/** The gateway in-process, APQ shared through that Redis (quotas off: APQ is its only Redis user). */
async function gateway(logger: (lines: string[]) => Logger) {
  const lines: string[] = [];
  const config = loadConfig({
    REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redis.port}`,
    GRAPH_QUOTAS: 'off',
    LOG_LEVEL: 'trace',
  });
  const app = await createGatewayServer(config, { logger: logger(lines) });
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/graphql`;
  closing.push(() => app.close());
  const post = (body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify(body),
    });
  const warning = () =>
    lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => String(line.msg).startsWith('Redis for automatic persisted queries failed'));
  return { lines, post, warning };
}

/** A document only this test sends: its text (its alias) must not reach a log line either. */
const document = (marker: string) => `query Apq { ${marker}: __typename }`;

it('Redis refuses the write (READONLY, a replica after a failover): the warning says its words, code-less, and the node; no error object', async () => {
  const { lines, post, warning } = await gateway((lines) =>
    createLogger('trace', memoryLog(lines)),
  );
  // A replica of a master that is not there: INFO answers, writes are refused.
  await admin.config('SET', 'masterauth', PASSWORD);
  await admin.call('REPLICAOF', '127.0.0.1', '1');
  try {
    const text = document('readonlyMarker');
    await post({ query: text, extensions: persistedQuery(text) });
    await waitFor(() => warning() !== undefined, 5_000, 20);
    expect(warning()).toMatchObject({
      redis: `redis://127.0.0.1:${redis.port}`,
      node: `127.0.0.1:${redis.port}`,
      cause: "READONLY You can't write against a read only replica.",
    });
    expect(warning()).not.toHaveProperty('err');
    const all = lines.join('\n');
    for (const secret of [PASSWORD, TOKEN, 'readonlyMarker']) expect(all).not.toContain(secret);
  } finally {
    await admin.call('REPLICAOF', 'NO', 'ONE');
  }
});

it('Redis full (maxmemory reached): the document is held back before Redis refuses it, one warning with the figures', async () => {
  const { lines, post, warning } = await gateway((lines) =>
    createLogger('trace', memoryLog(lines)),
  );
  await admin.config('SET', 'maxmemory-policy', 'noeviction');
  await admin.config('SET', 'maxmemory', '1');
  // The reading taken when the gateway connected is older than a reading period (250 ms) by then.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const text = document('oomMarker');
  await post({ query: text, extensions: persistedQuery(text) });
  const held = () =>
    lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => String(line.msg).startsWith('Redis is nearly half full'));
  await waitFor(() => held().length === 1, 5_000, 20);
  expect(held()[0]).toMatchObject({ maxmemory: 1 });
  expect(held()[0]?.used).toBeGreaterThan(1);
  expect(warning()).toBeUndefined();
  expect(lines.join('\n')).not.toContain('oomMarker');
});

it("the password changed on the server, through pino's default serializer: the cause is AUTH's refusal, and no stack, password, token or document is logged", async () => {
  const { lines, post, warning } = await gateway((lines) =>
    pino({ level: 'trace' }, memoryLog(lines)),
  );
  const first = document('beforeMarker');
  expect((await post({ query: first, extensions: persistedQuery(first) })).status).toBe(200);
  // Rotated: the gateway's connection is dropped, and it reconnects with the password it has, which AUTH refuses.
  await admin.config('SET', 'requirepass', 'the-rotated-one-0b7d');
  await admin.client('KILL', 'TYPE', 'normal');
  // Once Redis has refused the gateway's AUTH: before, the lookup would find the connection lost, not refused.
  const refusals = async () => ((await admin.call('ACL', 'LOG')) as unknown[]).length;
  await waitFor(async () => (await refusals()) > 0, 5_000, 20);
  const second = document('afterMarker');
  await waitFor(
    async () => {
      await post({ extensions: persistedQuery(second) });
      return warning() !== undefined;
    },
    5_000,
    50,
  );
  expect(warning()).toMatchObject({
    node: `127.0.0.1:${redis.port}`,
    cause: expect.stringMatching(/^WRONGPASS /) as unknown,
  });
  const all = lines.join('\n');
  expect(all).not.toContain('"stack"');
  for (const secret of [PASSWORD, 'the-rotated-one-0b7d', TOKEN, 'beforeMarker', 'afterMarker'])
    expect(all).not.toContain(secret);
});

it('Redis not there (its port refuses): the connection refused, with its code and the node it names', async () => {
  await redis.kill();
  const { post, warning } = await gateway((lines) => createLogger('trace', memoryLog(lines)));
  const text = document('goneMarker');
  expect((await post({ extensions: persistedQuery(text) })).status).toBe(200);
  expect(warning()).toMatchObject({
    node: `127.0.0.1:${redis.port}`,
    cause: `connect ECONNREFUSED 127.0.0.1:${redis.port}`,
    code: 'ECONNREFUSED',
  });
});
