import { configurationId, createEmulatorToken, startEmulator } from '../../emulator';
import type { Emulator } from '../../emulator';
import { gatewayStartOptions, startBuiltGateway } from '../../bench/lib';
import type { StartedGateway } from '../../bench/lib';
import {
  redisCli,
  startRedisCluster,
  startRedisSentinels,
  startTlsRedis,
} from '../helpers/redis-topologies';
import type { TestCluster, TestSentinels, TestTlsRedis } from '../helpers/redis-topologies';
import { waitFor } from '../helpers/wait';

/**
 * Issue 26 end to end: the Redis deployments teams run, from Debian's `redis-server`, each behind two gateway
 * processes that must share one quota window through it: a 3-master Redis Cluster (`redis-cli --cluster create`),
 * a master with a replica and three sentinels through a failover (the master SIGKILLed), and Redis over TLS with a
 * private CA (NODE_EXTRA_CA_CERTS). The emulator, in Intune mode, counts every call as Intune does.
 *
 * The check is the issue's: with 3 writes per window, four writes sent at once through two replicas reach Graph as
 * three, then the fourth one window later; nothing refused, nothing over, and no replica fell back.
 */
const WINDOW_MS = 1_000;
const MARGIN_MS = 500;
const APP_WRITES = 3;
const APP = '0c0c0c0c-0000-4000-8000-00000000000c';
const c = configurationId('windows10-general');
const tenant = (n: number) => `3${n}3${n}3${n}3${n}-0000-4000-8000-00000000000${n}`;
const UPDATE = /* GraphQL */ `
  mutation One($input: UpdateDeviceConfigurationUserStatusInput!) {
    updateDeviceConfigurationUserStatus(input: $input) {
      userStatus {
        id
      }
    }
  }
`;
const QUOTA_ENV = {
  GRAPH_QUOTA_REPLICAS: '2',
  GRAPH_DEADLINE_MS: '20000',
  GRAPH_QUOTA_WINDOW_MS: String(WINDOW_MS),
  GRAPH_QUOTA_MARGIN_MS: String(MARGIN_MS),
  GRAPH_QUOTA_APP_WRITES: String(APP_WRITES),
  GRAPH_QUOTA_TENANT_WRITES: '6',
  GRAPH_QUOTA_APP_CALLS: '100',
  GRAPH_QUOTA_TENANT_CALLS: '200',
  LOG_LEVEL: 'info',
};

let emulator: Emulator;
let cluster: TestCluster;
let sentinels: TestSentinels;
let tls: TestTlsRedis;
/** The two gateway processes in front of each deployment. */
const pairs = {
  cluster: [] as StartedGateway[],
  sentinels: [] as StartedGateway[],
  tls: [] as StartedGateway[],
};
const stops: Array<() => Promise<unknown>> = [];

/** A gateway process with these Redis settings, stopped at the end whatever happens. */
async function startReplica(env: Record<string, string>): Promise<StartedGateway> {
  const replica = await startBuiltGateway(
    { GRAPH_BASE_URL: emulator.baseUrl, ...QUOTA_ENV, ...env },
    gatewayStartOptions(),
  );
  stops.push(() => replica.stop());
  return replica;
}

/** Two gateway processes in front of one deployment, one after the other. */
async function startPair(env: Record<string, string>): Promise<StartedGateway[]> {
  return [await startReplica(env), await startReplica(env)];
}

// The three deployments start together, each followed by its two gateways: their waits (the cluster agreeing on its
// slots, the sentinels finding the replica, openssl, the gateways' start-up) overlap instead of adding up. Each
// deployment and its pair stop once its tests are done.
beforeAll(async () => {
  emulator = await startEmulator({
    mode: 'intune',
    quotas: {
      windowMs: WINDOW_MS,
      appWrites: APP_WRITES,
      tenantWrites: 6,
      appCalls: 100,
      tenantCalls: 200,
    },
  });
  stops.push(() => emulator.close());
  const started = await Promise.allSettled([
    startRedisCluster(3).then(async (each) => {
      cluster = each;
      stops.push(() => each.stop());
      pairs.cluster = await startPair({ REDIS_URL: each.seedUrl, REDIS_CLUSTER: 'true' });
    }),
    startRedisSentinels().then(async (each) => {
      sentinels = each;
      stops.push(() => each.stop());
      pairs.sentinels = await startPair({
        REDIS_SENTINELS: each.sentinels,
        REDIS_SENTINEL_NAME: each.name,
      });
    }),
    startTlsRedis().then(async (each) => {
      tls = each;
      stops.push(() => each.stop());
      pairs.tls = await startPair({ REDIS_URL: each.url, NODE_EXTRA_CA_CERTS: each.caFile });
    }),
  ]);
  const failed = started.find((each) => each.status === 'rejected');
  if (failed) throw failed.reason;
}, 60_000);
// Stopping twice is harmless: a gateway or a Redis process already gone is left alone.
afterAll(() => Promise.all(stops.map((stop) => stop())));

async function write(replica: StartedGateway, tid: string, id: string): Promise<string> {
  const token = createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], {
    tid,
    appid: APP,
  });
  const response = await fetch(replica.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: UPDATE,
      variables: { input: { deviceConfigurationId: c, userStatusId: id, status: 'COMPLIANT' } },
    }),
  });
  const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
  return body.errors?.[0]?.extensions?.code ?? 'ok';
}

/**
 * Four writes of one tenant and app at once, two through each replica, then what Graph saw: all done, none refused
 * or over as Intune counts, at most three in any window, and the fourth a whole window after the first: it waited
 * for the shared window (two replicas pacing alone, to 3 each, would have sent all four at once, one over).
 */
async function shareOneWindow(pair: readonly StartedGateway[], tid: string): Promise<void> {
  const ids = [0, 1, 2, 3].map((index) => `${tid.slice(0, 4)}-${index}`);
  for (const id of ids) emulator.store.put(c, { id, status: 'error' });
  const outcomes = await Promise.all(ids.map((id, index) => write(pair[index % 2]!, tid, id)));
  expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok']);
  const calls = emulator.calls.filter((call) => call.tenant === tid && call.kind === 'write');
  expect(calls.map((call) => call.refused)).toEqual([false, false, false, false]);
  expect(emulator.overLimit({ tenant: tid }).over).toBe(0);
  expect(emulator.maxInWindow({ kind: 'write', tenant: tid, app: APP })).toBeLessThanOrEqual(
    APP_WRITES,
  );
  const times = calls.map((call) => call.at).sort((a, b) => a - b);
  expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(WINDOW_MS);
}

const fallbackWarnings = (pair: readonly StartedGateway[]) =>
  pair.flatMap((replica) =>
    replica.logs.filter((line) => String(line.msg).startsWith('quota store unreachable')),
  );

/** The node each replica said it uses, from its latest "ready" line. */
const nodesInUse = (pair: readonly StartedGateway[]) =>
  pair.map(
    (replica) =>
      replica.logs.filter((line) => line.msg === 'Redis for the quota windows is ready').at(-1)
        ?.node,
  );

async function scrape(replica: StartedGateway): Promise<string> {
  return (await fetch(replica.url.replace(/\/graphql$/, '/metrics'))).text();
}

describe('a 3-master Redis Cluster (REDIS_CLUSTER=true, REDIS_URL a seed node)', () => {
  let pair: StartedGateway[] = [];
  beforeAll(() => {
    pair = pairs.cluster;
  });
  afterAll(async () => {
    await Promise.all(pair.map((replica) => replica.stop()));
    await cluster?.stop();
  });

  it('two replicas share one window through the cluster; tenants spread over the masters', async () => {
    emulator.reset();
    // Five tenants at once (their windows are their own): their hash tags fall in slots of different masters, so
    // the scripts run on several of them. Which master holds a tenant's windows is read as soon as its writes are
    // done: the keys expire with the window.
    const holding = new Set<number>();
    await Promise.all(
      [1, 2, 3, 4, 5].map(async (n) => {
        await shareOneWindow(pair, tenant(n));
        for (const port of cluster.ports)
          if ((await redisCli(port, 'KEYS', `igg:q:{${tenant(n)}}*`)) !== '') holding.add(port);
      }),
    );
    expect(holding.size).toBeGreaterThanOrEqual(2);
    expect(fallbackWarnings(pair)).toEqual([]);
    const masters = [...cluster.ports]
      .map((port) => `127.0.0.1:${port}`)
      .sort()
      .join(',');
    expect(nodesInUse(pair)).toEqual([masters, masters]);
    expect(await scrape(pair[0]!)).toContain(
      `intune_gateway_quota_store_node{node="${masters}"} 1`,
    );
  }, 40_000);
});

describe('Sentinel: a master, a replica and three sentinels (REDIS_SENTINELS, REDIS_SENTINEL_NAME)', () => {
  let pair: StartedGateway[] = [];
  beforeAll(() => {
    pair = pairs.sentinels;
  });
  afterAll(async () => {
    await Promise.all(pair.map((replica) => replica.stop()));
    await sentinels?.stop();
  });

  it('two replicas share one window through the master, and through the promoted one after it is SIGKILLed', async () => {
    emulator.reset();
    const master = `127.0.0.1:${sentinels.masterPort}`;
    expect(nodesInUse(pair)).toEqual([master, master]);
    await shareOneWindow(pair, tenant(6));
    expect(fallbackWarnings(pair)).toEqual([]);

    await sentinels.killMaster();
    await waitFor(
      async () => (await sentinels.currentMasterPort()) === sentinels.replicaPort,
      15_000,
      100,
    );
    const promoted = `127.0.0.1:${sentinels.replicaPort}`;
    // Both follow the promoted master on their own, and pace shared again (not in-process) within seconds.
    await waitFor(
      async () =>
        nodesInUse(pair).every((node) => node === promoted) &&
        (await Promise.all(pair.map(scrape))).every((text) =>
          text.includes('intune_gateway_quota_store_state{state="shared"} 1'),
        ),
      10_000,
      100,
    );
    await shareOneWindow(pair, tenant(7));
    expect(await redisCli(sentinels.replicaPort, 'KEYS', `igg:q:{${tenant(7)}}*`)).not.toBe('');
  }, 50_000);
});

describe('TLS with a private CA (rediss://, NODE_EXTRA_CA_CERTS)', () => {
  let pair: StartedGateway[] = [];
  beforeAll(() => {
    pair = pairs.tls;
  });
  afterAll(async () => {
    await Promise.all(pair.map((replica) => replica.stop()));
    await tls?.stop();
  });

  it('two replicas share one window over TLS', async () => {
    emulator.reset();
    await shareOneWindow(pair, tenant(8));
    expect(fallbackWarnings(pair)).toEqual([]);
    const [, port] = /:(\d+)$/.exec(tls.url)!;
    expect(nodesInUse(pair)).toEqual([`127.0.0.1:${port}`, `127.0.0.1:${port}`]);
  }, 30_000);
});
