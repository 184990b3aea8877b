import type { StartedGateway } from '../../bench/lib';
import { startRedisSentinels } from '../helpers/redis-topologies';
import type { TestSentinels } from '../helpers/redis-topologies';
import { sentinelEnv, shareThroughFailover, startTopologyRig } from '../helpers/topology-checks';
import type { TopologyRig } from '../helpers/topology-checks';

/**
 * Issue 26 end to end, Sentinel: a master with a replica and three sentinels, from Debian's `redis-server`, behind two
 * gateway processes that must share one quota window through it (test/helpers/topology-checks.ts), then through the
 * replica the sentinels promote once the master is SIGKILLed; plain, and on TLS only (REDIS_TLS=true: the sentinels,
 * the master and its replica, with a private CA). The cluster and Redis over TLS are quota-redis-topologies.spec.ts.
 */
let rig: TopologyRig;
let plain: TestSentinels;
let onTls: TestSentinels;
/** The two gateway processes in front of each deployment. */
const pairs = { plain: [] as StartedGateway[], tls: [] as StartedGateway[] };

// Both deployments start together, each followed by its gateways: their waits (the replica's first sync, the
// sentinels finding it, openssl, the gateways' start-up) overlap instead of adding up.
beforeAll(async () => {
  rig = await startTopologyRig();
  const started = await Promise.allSettled([
    startRedisSentinels().then(async (each) => {
      plain = rig.kept(each);
      pairs.plain = await rig.pair(sentinelEnv(each));
    }),
    startRedisSentinels('igg-tls-master', 'IP:127.0.0.1').then(async (each) => {
      onTls = rig.kept(each);
      const env = { ...sentinelEnv(each), REDIS_TLS: 'true', NODE_EXTRA_CA_CERTS: each.caFile! };
      pairs.tls = await rig.pair(env);
    }),
  ]);
  const failed = started.find((each) => each.status === 'rejected');
  if (failed) throw failed.reason;
}, 60_000);
afterAll(() => rig?.stop());

// The two failovers run at once: they mostly wait (for a window, for the sentinels), and each reads only its own
// tenants' calls from the shared emulator.
describe('a failover behind two gateways', () => {
  it.concurrent(
    'Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME): two replicas share one window through the master, and through the promoted one after it is SIGKILLed',
    () => shareThroughFailover(rig, pairs.plain, plain, [6, 7]),
    50_000,
  );

  it.concurrent(
    'Sentinel on TLS only (REDIS_TLS=true: the sentinels, the master, its replica): the same, over TLS',
    () => shareThroughFailover(rig, pairs.tls, onTls, [17, 18]),
    50_000,
  );
});
