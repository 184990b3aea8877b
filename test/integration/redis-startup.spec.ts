import type { FastifyInstance } from 'fastify';
import { freePort } from '../../bench/lib';
import { loadConfig } from '../../src/config';
import { createGatewayServer } from '../../src/gateway';
import { createLogger } from '../../src/observability/logging';
import { memoryLog, startGateway } from '../helpers/harness';
import type { Gateway } from '../helpers/harness';
import { startRedis } from '../helpers/redis';
import { redisCli, startTlsRedis } from '../helpers/redis-topologies';

/**
 * The gateway started while its Redis does not answer: what its metrics and its warnings say from the start, before
 * any call was made. Real sockets to ports nothing listens on (the sentinels, the one Redis).
 */
const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

async function started(env: Record<string, string>): Promise<Gateway> {
  const gateway = await startGateway({ GRAPH_QUOTA_REPLICAS: '2', GRAPHQL_APQ: 'false', ...env });
  gateways.push(gateway);
  return gateway;
}

const scrape = async (gateway: Gateway) =>
  (await fetch(gateway.url.replace(/\/graphql$/, '/metrics'))).text();

const lines = (gateway: Gateway) =>
  gateway.logs.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('quota pacing started while Redis does not answer', () => {
  it('Sentinel with no sentinel answering: the metrics say fallback from the start, not shared until a first call', async () => {
    const [one, two] = await Promise.all([freePort(), freePort()]);
    const gateway = await started({
      REDIS_SENTINELS: `127.0.0.1:${one},127.0.0.1:${two}`,
      REDIS_SENTINEL_NAME: 'igg-nobody',
    });
    const metrics = await scrape(gateway);
    expect(metrics).toContain('intune_gateway_quota_store_state{state="fallback"} 1');
    expect(metrics).toContain('intune_gateway_quota_store_state{state="shared"} 0');
    expect(metrics).toContain('intune_gateway_quota_fallback_active 1');
    const warning = lines(gateway).find((line) =>
      String(line.msg).startsWith('quota store unreachable'),
    );
    expect(warning).toMatchObject({
      reason: 'unreachable',
      cause: 'not connected to sentinel master "igg-nobody" within 1000 ms',
    });
  });

  it('a password Redis refuses (WRONGPASS): not answering, in fallback, and never said ready', async () => {
    const redis = await startRedis();
    try {
      await redisCli(redis.port, 'CONFIG', 'SET', 'requirepass', 'the-right-one-77c2');
      const gateway = await started({
        REDIS_URL: `redis://:a-wrong-one-0a1f@127.0.0.1:${redis.port}`,
      });
      // ioredis says 'ready' before AUTH is answered, at every reconnect (every 500 ms): none of them is true.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const said = lines(gateway).map((line) => String(line.msg));
      expect(said).toContain(
        'Redis for the quota windows is not answering yet: pacing in-process, under the fallback rule, until it does',
      );
      expect(said).not.toContain('Redis for the quota windows is ready');
      expect(await scrape(gateway)).toContain(
        'intune_gateway_quota_store_state{state="fallback"} 1',
      );
      expect(gateway.logs.join('\n')).not.toContain('a-wrong-one-0a1f');
    } finally {
      await redis.stop();
    }
  });

  it('an ACL user that may not PING: Redis answers (NOPERM), so the windows are shared from the start', async () => {
    const redis = await startRedis();
    try {
      await redisCli(
        redis.port,
        'ACL',
        'SETUSER',
        'igg-quota',
        'on',
        '>pw-5e1d',
        '~*',
        '&*',
        '+@all',
        '-ping',
      );
      const gateway = await started({
        REDIS_URL: `redis://igg-quota:pw-5e1d@127.0.0.1:${redis.port}`,
      });
      const said = lines(gateway).map((line) => String(line.msg));
      expect(said).toContain('Redis for the quota windows is ready');
      expect(said.filter((msg) => /not answering|unreachable/.test(msg))).toEqual([]);
      const metrics = await scrape(gateway);
      expect(metrics).toContain('intune_gateway_quota_store_state{state="shared"} 1');
      expect(metrics).toContain('intune_gateway_quota_fallback_active 0');
    } finally {
      await redis.stop();
    }
  });

  it('one Redis refusing connections: the same (its refused attempts came before the pacer listened)', async () => {
    const port = await freePort();
    const gateway = await started({ REDIS_URL: `redis://127.0.0.1:${port}` });
    const metrics = await scrape(gateway);
    expect(metrics).toContain('intune_gateway_quota_store_state{state="fallback"} 1');
    expect(metrics).toContain('intune_gateway_quota_fallback_active 1');
  });
});

/**
 * Builds the gateway on fake timers (real sockets: its connections are refused at once), advancing the clock 100 ms
 * at a time and letting I/O run in between, until it is built. Resolves the log lines it wrote meanwhile, each
 * line's `time` being the fake clock's, and the app.
 */
async function buildOnFakeTimers(env: Record<string, string>) {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  try {
    const logs: string[] = [];
    const config = loadConfig({ ...env, LOG_LEVEL: 'info' });
    const started = Date.now();
    let app: FastifyInstance | undefined;
    const building = createGatewayServer(config, {
      logger: createLogger(config.logLevel, memoryLog(logs)),
    }).then((built) => (app = built));
    for (let step = 0; !app && step < 100; step += 1) {
      await jest.advanceTimersByTimeAsync(100);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const lines = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const at = (line: Record<string, unknown>) => Number(line.time) - started;
    return { lines, at, app: await building };
  } finally {
    jest.useRealTimers();
  }
}

describe('start-up with Redis down for both its users (quota windows, automatic persisted queries)', () => {
  it('waits for them at once: one second of start-up, not two (fake clock)', async () => {
    const port = await freePort();
    const { lines, at, app } = await buildOnFakeTimers({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      GRAPH_QUOTA_REPLICAS: '2',
    });
    await app.close();
    const waits = lines
      .filter((line) => String(line.msg).includes('is not answering yet'))
      .map((line) => [String(line.msg).split(' is not')[0], at(line)]);
    expect(waits.sort()).toEqual([
      ['Redis for automatic persisted queries', 1_000],
      ['Redis for the quota windows', 1_000],
    ]);
  });
});

describe('automatic persisted queries alone on a Redis over TLS whose CA this process does not trust', () => {
  it('GRAPH_QUOTAS=off: the start-up warning says why, from the same handshake of its own as the quota windows get', async () => {
    const tls = await startTlsRedis();
    try {
      const gateway = await started({
        REDIS_URL: tls.url,
        GRAPH_QUOTAS: 'off',
        GRAPHQL_APQ: 'true',
      });
      const warning = lines(gateway).find((line) =>
        String(line.msg).startsWith('Redis for automatic persisted queries is not answering yet'),
      );
      const port = new URL(tls.url).port;
      expect(warning).toMatchObject({
        redis: `rediss://127.0.0.1:${port}`,
        cause: expect.stringMatching(
          new RegExp(`^TLS certificate of 127\\.0\\.0\\.1:${port} not trusted \\(`),
        ) as unknown,
      });
    } finally {
      await tls.stop();
    }
  });
});
