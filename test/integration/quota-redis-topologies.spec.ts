import type { StartedGateway } from '../../bench/lib';
import { startRedisCluster, startTlsRedis } from '../helpers/redis-topologies';
import type { TestCluster, TestTlsRedis } from '../helpers/redis-topologies';
import {
  WINDOW_MS,
  c,
  clusterEnv,
  fallbackWarnings,
  nodesInUse,
  scrape,
  shareOneWindow,
  shareThroughCluster,
  startTopologyRig,
  tenant,
  write,
} from '../helpers/topology-checks';
import type { TopologyRig } from '../helpers/topology-checks';

/**
 * Issue 26 end to end: Redis deployments teams run, from Debian's `redis-server`, each behind two gateway processes
 * that must share one quota window through it (test/helpers/topology-checks.ts): a 3-master Redis Cluster
 * (`redis-cli --cluster create`), Redis over TLS with a private CA (NODE_EXTRA_CA_CERTS), and a cluster on TLS only;
 * and a gateway that does not trust the TLS cluster's CA. Sentinel through a failover is quota-redis-sentinels.spec.ts.
 */
/** The TLS cluster's nodes require it: it must reach every node ioredis discovers, and never a log line. */
const PASSWORD = 'igg-cluster-secret-5d1e';

let rig: TopologyRig;
let cluster: TestCluster;
let tls: TestTlsRedis;
let tlsCluster: TestCluster;
/** The two gateway processes in front of each deployment. */
const pairs = {
  cluster: [] as StartedGateway[],
  tls: [] as StartedGateway[],
  tlsCluster: [] as StartedGateway[],
};
/** In front of the TLS cluster, trusting another private CA (the TLS Redis's) instead of the cluster's. */
let distrustful: StartedGateway;

// The deployments start together, each followed by its gateways: their waits (a cluster agreeing on its slots,
// openssl, the gateways' start-up) overlap instead of adding up.
beforeAll(async () => {
  rig = await startTopologyRig();
  const tlsRedis = startTlsRedis().then(rig.kept);
  // Names, not addresses, as a managed cluster's certificates and CLUSTER SLOTS give them (ElastiCache).
  const tlsNodes = startRedisCluster(3, {
    tls: 'DNS:localhost',
    hostname: 'localhost',
    password: PASSWORD,
  }).then(rig.kept);
  const started = await Promise.allSettled([
    startRedisCluster(3).then(async (each) => {
      cluster = rig.kept(each);
      pairs.cluster = await rig.pair(clusterEnv(each.seedUrl));
    }),
    tlsRedis.then(async (each) => {
      tls = each;
      pairs.tls = await rig.pair({ REDIS_URL: each.url, NODE_EXTRA_CA_CERTS: each.caFile });
    }),
    tlsNodes.then(async (each) => {
      tlsCluster = each;
      const env = { ...clusterEnv(each.seedUrl), NODE_EXTRA_CA_CERTS: each.caFile! };
      pairs.tlsCluster = await rig.pair(env);
    }),
    Promise.all([tlsNodes, tlsRedis]).then(async ([each, other]) => {
      distrustful = await rig.replica({
        ...clusterEnv(each.seedUrl),
        NODE_EXTRA_CA_CERTS: other.caFile,
      });
    }),
  ]);
  const failed = started.find((each) => each.status === 'rejected');
  if (failed) throw failed.reason;
}, 60_000);
afterAll(() => rig?.stop());

/** The distrustful gateway's and the TLS cluster pair's log lines, as JSON text. */
const logs = () =>
  [distrustful, ...pairs.tlsCluster]
    .flatMap((each) => each.logs.map((line) => JSON.stringify(line)))
    .join('\n');

/** The distrustful gateway paces in-process: its share of 3 writes per window, with two replicas, is 1. */
async function paceAtItsShare(): Promise<void> {
  const tid = tenant(16);
  for (const id of ['d-0', 'd-1']) rig.emulator.store.put(c, { id, status: 'error' });
  const outcomes = await Promise.all(['d-0', 'd-1'].map((id) => write(rig, distrustful, tid, id)));
  expect(outcomes).toEqual(['ok', 'ok']);
  const times = rig.emulator.calls
    .filter((call) => call.tenant === tid && call.kind === 'write')
    .map((call) => call.at);
  expect(times).toHaveLength(2);
  // The second write waits for the first to leave the window.
  expect(Math.abs(times[1]! - times[0]!)).toBeGreaterThanOrEqual(WINDOW_MS);
  expect(rig.emulator.overLimit({ tenant: tid }).over).toBe(0);
}

// The checks run at once (jest runs the concurrent tests of a block together, 5 at a time): they mostly wait for a
// window, and each reads only its own tenants' calls from the shared emulator.
describe('each deployment behind its gateways', () => {
  it.concurrent(
    'a 3-master Redis Cluster (REDIS_CLUSTER=true, REDIS_URL a seed node): two replicas share one window; tenants spread over the masters',
    () => shareThroughCluster(rig, pairs.cluster, cluster, [[1, 2, 3, 4, 5], '127.0.0.1']),
    40_000,
  );

  it.concurrent(
    'a Redis Cluster on TLS only (rediss://localhost, --tls-cluster yes, a password): the same through its TLS nodes, the discovered ones included',
    () =>
      shareThroughCluster(rig, pairs.tlsCluster, tlsCluster, [[11, 12, 13, 14, 15], 'localhost']),
    40_000,
  );

  it.concurrent(
    'TLS with a private CA (rediss://, NODE_EXTRA_CA_CERTS): two replicas share one window over TLS',
    async () => {
      await shareOneWindow(rig, pairs.tls, tenant(8));
      expect(fallbackWarnings(pairs.tls)).toEqual([]);
      const [, port] = /:(\d+)$/.exec(tls.url)!;
      expect(nodesInUse(pairs.tls)).toEqual([`127.0.0.1:${port}`, `127.0.0.1:${port}`]);
    },
    30_000,
  );

  it.concurrent(
    'the TLS cluster, through a replica that does not trust its CA: in-process at its share, says why, shows no secret',
    async () => {
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
      await paceAtItsShare();
      expect(distrustful.process.exitCode).toBeNull();
      expect(logs()).not.toContain(PASSWORD);
      for (const token of rig.tokens) expect(logs()).not.toContain(token);
    },
    30_000,
  );
});
