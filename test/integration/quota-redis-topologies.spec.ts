import { configurationId, createEmulatorToken, startEmulator } from '../../emulator';
import type { Emulator } from '../../emulator';
import { gatewayStartOptions, startBuiltGateway } from '../../bench/lib';
import type { StartedGateway } from '../../bench/lib';
import { startRedisCluster, startRedisSentinels, startTlsRedis } from '../helpers/redis-topologies';
import type { TestCluster, TestSentinels, TestTlsRedis } from '../helpers/redis-topologies';
import { waitFor } from '../helpers/wait';

/**
 * Issue 26 end to end: the Redis deployments teams run, from Debian's `redis-server`, each behind two gateway
 * processes that must share one quota window through it: a 3-master Redis Cluster (`redis-cli --cluster create`),
 * a master with a replica and three sentinels through a failover (the master SIGKILLed), and Redis over TLS with a
 * private CA (NODE_EXTRA_CA_CERTS); the cluster and the sentinels over TLS only too, and a gateway that does not
 * trust the TLS cluster's CA. The emulator, in Intune mode, counts every call as Intune does.
 *
 * The check is the issue's: with 3 writes per window, four writes sent at once through two replicas reach Graph as
 * three, then the fourth one window later; nothing refused, nothing over, and no replica fell back.
 */
const WINDOW_MS = 1_000;
const MARGIN_MS = 500;
const APP_WRITES = 3;
const APP = '0c0c0c0c-0000-4000-8000-00000000000c';
const c = configurationId('windows10-general');
const tenant = (n: number) =>
  `${`3${n % 10}`.repeat(4)}-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** The TLS cluster's nodes require it: it must reach every node ioredis discovers, and never a log line. */
const PASSWORD = 'igg-cluster-secret-5d1e';
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
let tlsCluster: TestCluster;
let tlsSentinels: TestSentinels;
/** The two gateway processes in front of each deployment. */
const pairs = {
  cluster: [] as StartedGateway[],
  sentinels: [] as StartedGateway[],
  tls: [] as StartedGateway[],
  tlsCluster: [] as StartedGateway[],
  tlsSentinels: [] as StartedGateway[],
};
/** In front of the TLS cluster, trusting another private CA (the TLS Redis's) instead of the cluster's. */
let distrustful: StartedGateway;
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

// The deployments start together, each followed by its gateways: their waits (a cluster agreeing on its slots, the
// sentinels finding the replica, openssl, the gateways' start-up) overlap instead of adding up.
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
  const kept = <T extends { stop(): Promise<void> }>(each: T): T => {
    stops.push(() => each.stop());
    return each;
  };
  const tlsRedis = startTlsRedis().then(kept);
  // Names, not addresses, as a managed cluster's certificates and CLUSTER SLOTS give them (ElastiCache).
  const tlsNodes = startRedisCluster(3, {
    tls: 'DNS:localhost',
    hostname: 'localhost',
    password: PASSWORD,
  });
  const clusterEnv = (seedUrl: string) => ({ REDIS_URL: seedUrl, REDIS_CLUSTER: 'true' });
  const sentinelEnv = (each: TestSentinels) => ({
    REDIS_SENTINELS: each.sentinels,
    REDIS_SENTINEL_NAME: each.name,
  });
  const started = await Promise.allSettled([
    startRedisCluster(3).then(async (each) => {
      cluster = kept(each);
      pairs.cluster = await startPair(clusterEnv(each.seedUrl));
    }),
    startRedisSentinels().then(async (each) => {
      sentinels = kept(each);
      pairs.sentinels = await startPair(sentinelEnv(each));
    }),
    tlsRedis.then(async (each) => {
      tls = each;
      pairs.tls = await startPair({ REDIS_URL: each.url, NODE_EXTRA_CA_CERTS: each.caFile });
    }),
    tlsNodes.then(async (each) => {
      tlsCluster = kept(each);
      const env = { ...clusterEnv(each.seedUrl), NODE_EXTRA_CA_CERTS: each.caFile! };
      pairs.tlsCluster = await startPair(env);
    }),
    Promise.all([tlsNodes, tlsRedis]).then(async ([each, other]) => {
      distrustful = await startReplica({
        ...clusterEnv(each.seedUrl),
        NODE_EXTRA_CA_CERTS: other.caFile,
      });
    }),
    startRedisSentinels('igg-tls-master', 'IP:127.0.0.1').then(async (each) => {
      tlsSentinels = kept(each);
      const env = { ...sentinelEnv(each), REDIS_TLS: 'true', NODE_EXTRA_CA_CERTS: each.caFile! };
      pairs.tlsSentinels = await startPair(env);
    }),
  ]);
  const failed = started.find((each) => each.status === 'rejected');
  if (failed) throw failed.reason;
}, 60_000);
// Stopping twice is harmless: a gateway or a Redis process already gone is left alone.
afterAll(() => Promise.all(stops.map((stop) => stop())));

/** Every token sent, to look for in the gateways' logs. */
const tokens: string[] = [];

async function write(replica: StartedGateway, tid: string, id: string): Promise<string> {
  const token = createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], {
    tid,
    appid: APP,
  });
  tokens.push(token);
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
  const ids = [0, 1, 2, 3].map((index) => `${tid.slice(-4)}-${index}`);
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

/**
 * Five tenants at once (their windows are their own) through a cluster's pair: their hash tags fall in slots of
 * different masters, so the scripts run on several of them. Which master holds a tenant's windows is read as soon as
 * its writes are done: the keys expire with the window.
 */
async function shareThroughCluster(
  pair: readonly StartedGateway[],
  deployment: TestCluster,
  tenants: readonly number[],
  host: string,
): Promise<void> {
  const holding = new Set<number>();
  await Promise.all(
    tenants.map(async (n) => {
      await shareOneWindow(pair, tenant(n));
      for (const port of deployment.ports)
        if ((await deployment.cli(port, 'KEYS', `igg:q:{${tenant(n)}}*`)) !== '') holding.add(port);
    }),
  );
  expect(holding.size).toBeGreaterThanOrEqual(2);
  expect(fallbackWarnings(pair)).toEqual([]);
  const masters = deployment.ports
    .map((port) => `${host}:${port}`)
    .sort()
    .join(',');
  expect(nodesInUse(pair)).toEqual([masters, masters]);
  expect(await scrape(pair[0]!)).toContain(`intune_gateway_quota_store_node{node="${masters}"} 1`);
}

/** One window shared through the master; SIGKILL it; both follow the promoted replica and share again through it. */
async function shareThroughFailover(
  pair: readonly StartedGateway[],
  deployment: TestSentinels,
  [before, after]: readonly [number, number],
): Promise<void> {
  const master = `127.0.0.1:${deployment.masterPort}`;
  expect(nodesInUse(pair)).toEqual([master, master]);
  await shareOneWindow(pair, tenant(before));
  expect(fallbackWarnings(pair)).toEqual([]);

  await deployment.killMaster();
  await waitFor(
    async () => (await deployment.currentMasterPort()) === deployment.replicaPort,
    15_000,
    100,
  );
  const promoted = `127.0.0.1:${deployment.replicaPort}`;
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
  await shareOneWindow(pair, tenant(after));
  const keys = await deployment.cli(deployment.replicaPort, 'KEYS', `igg:q:{${tenant(after)}}*`);
  expect(keys).not.toBe('');
}

// The checks run at once (jest runs the concurrent tests of a block together, 5 at a time): they mostly wait, for a
// window or a failover, and each reads only its own tenants' calls from the shared emulator. The longest go first.
describe('each deployment behind its gateways', () => {
  it.concurrent(
    'Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME): two replicas share one window through the master, and through the promoted one after it is SIGKILLed',
    () => shareThroughFailover(pairs.sentinels, sentinels, [6, 7]),
    50_000,
  );

  it.concurrent(
    'Sentinel on TLS only (REDIS_TLS=true: the sentinels, the master, its replica): the same, over TLS',
    () => shareThroughFailover(pairs.tlsSentinels, tlsSentinels, [17, 18]),
    50_000,
  );

  it.concurrent(
    'a 3-master Redis Cluster (REDIS_CLUSTER=true, REDIS_URL a seed node): two replicas share one window; tenants spread over the masters',
    () => shareThroughCluster(pairs.cluster, cluster, [1, 2, 3, 4, 5], '127.0.0.1'),
    40_000,
  );

  it.concurrent(
    'a Redis Cluster on TLS only (rediss://localhost, --tls-cluster yes, a password): the same through its TLS nodes, the discovered ones included',
    () => shareThroughCluster(pairs.tlsCluster, tlsCluster, [11, 12, 13, 14, 15], 'localhost'),
    40_000,
  );

  it.concurrent(
    'TLS with a private CA (rediss://, NODE_EXTRA_CA_CERTS): two replicas share one window over TLS',
    async () => {
      await shareOneWindow(pairs.tls, tenant(8));
      expect(fallbackWarnings(pairs.tls)).toEqual([]);
      const [, port] = /:(\d+)$/.exec(tls.url)!;
      expect(nodesInUse(pairs.tls)).toEqual([`127.0.0.1:${port}`, `127.0.0.1:${port}`]);
    },
    30_000,
  );

  it.concurrent(
    'the TLS cluster, through a replica that does not trust its CA: in-process at its share, says why, shows no secret',
    async () => {
      const logs = () =>
        [distrustful, ...pairs.tlsCluster]
          .flatMap((each) => each.logs.map((line) => JSON.stringify(line)))
          .join('\n');
      const notYet = distrustful.logs.find((line) =>
        String(line.msg).startsWith('Redis for the quota windows is not answering yet'),
      );
      expect(notYet?.cause).toMatch(
        `TLS certificate of localhost:${tlsCluster.ports[0]} not trusted (`,
      );
      expect(fallbackWarnings([distrustful])).toHaveLength(1);
      expect((await fetch(distrustful.url.replace(/\/graphql$/, '/readyz'))).status).toBe(200);
      const metrics = await scrape(distrustful);
      expect(metrics).toContain('intune_gateway_quota_store_state{state="fallback"} 1');
      expect(metrics).toContain('intune_gateway_quota_fallback_active 1');

      // Its share of 3 writes per window, with two replicas, is 1: the second write waits for the first to leave it.
      const tid = tenant(16);
      for (const id of ['d-0', 'd-1']) emulator.store.put(c, { id, status: 'error' });
      const outcomes = await Promise.all(['d-0', 'd-1'].map((id) => write(distrustful, tid, id)));
      expect(outcomes).toEqual(['ok', 'ok']);
      const times = emulator.calls
        .filter((call) => call.tenant === tid && call.kind === 'write')
        .map((call) => call.at);
      expect(times).toHaveLength(2);
      expect(Math.abs(times[1]! - times[0]!)).toBeGreaterThanOrEqual(WINDOW_MS);
      expect(emulator.overLimit({ tenant: tid }).over).toBe(0);
      expect(distrustful.process.exitCode).toBeNull();
      expect(logs()).not.toContain(PASSWORD);
      for (const token of tokens) expect(logs()).not.toContain(token);
    },
    30_000,
  );
});
