import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../bench/lib';
import {
  BASE,
  cliArgs,
  cliFor,
  listenArgs,
  makeCertificates,
  startProcess,
  waitUntil,
} from './redis-nodes';
import type { RedisCli, RedisProcess, TestCertificates } from './redis-nodes';

export { redisCli } from './redis-nodes';
export type { RedisCli } from './redis-nodes';

/**
 * The Redis deployments teams run, started from Debian's `redis-server` on free loopback ports: a Redis Cluster
 * (`redis-cli --cluster create`), a master with a replica and three sentinels, and Redis over TLS with a private CA
 * (certificates made with `openssl`); the cluster and the sentinels over TLS only too. Each process can be killed
 * as a node dies (SIGKILL).
 */

const run = promisify(execFile);

export interface TestCluster {
  /** `redis://127.0.0.1:<first master>` (`rediss://`, the hostname, the password as given): the seed REDIS_URL names. */
  readonly seedUrl: string;
  readonly ports: readonly number[];
  /** The private CA's certificate (PEM file), with `tls`. */
  readonly caFile?: string;
  readonly cli: RedisCli;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** TLS only, between the nodes too (`--tls-cluster yes`), with a certificate for these names (`DNS:localhost`). */
  readonly tls?: string;
  /**
   * The name the nodes announce (CLUSTER SLOTS gives it, not their address), as managed clusters do whose
   * certificates name their hosts (ElastiCache, Memorystore); the seed URL names it too.
   */
  readonly hostname?: string;
  /** `--requirepass` on every node. */
  readonly password?: string;
}

/** Three masters, no replicas, every slot assigned: `redis-cli --cluster create`. */
export async function startRedisCluster(
  masters = 3,
  options: ClusterOptions = {},
): Promise<TestCluster> {
  const { hostname, password } = options;
  const dir = mkdtempSync(path.join(tmpdir(), 'igg-cluster-'));
  const tls = options.tls ? await makeCertificates(dir, options.tls) : undefined;
  const cli = cliFor(tls, password);
  const ports = await Promise.all(Array.from({ length: masters }, () => freePort()));
  const nodes = await Promise.all(
    ports.map((port) => startProcess(dir, port, clusterNodeArgs(port, tls, options), cli)),
  );
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await createCluster(ports, cliArgs(tls, password), cli);
  } catch (error) {
    await stop();
    throw error;
  }
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  const seedUrl = `${tls ? 'rediss' : 'redis'}://${auth}${hostname ?? '127.0.0.1'}:${ports[0]}`;
  return { seedUrl, ports, ...(tls ? { caFile: tls.caFile } : {}), cli, stop };
}

/** One node of the cluster: TLS between the nodes too with certificates, its hostname and password if given. */
function clusterNodeArgs(
  port: number,
  tls: TestCertificates | undefined,
  { hostname, password }: ClusterOptions,
): string[] {
  return [
    ...listenArgs(port, tls),
    ...BASE,
    ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
    ...['--cluster-node-timeout', '2000'],
    ...(tls ? ['--tls-cluster', 'yes'] : []),
    ...(hostname ? ['--cluster-announce-hostname', hostname] : []),
    ...(hostname ? ['--cluster-preferred-endpoint-type', 'hostname'] : []),
    ...(password ? ['--requirepass', password] : []),
  ];
}

/** Every slot assigned to the nodes on `ports`, and each node reporting the cluster ok. */
async function createCluster(
  ports: readonly number[],
  args: string[],
  cli: RedisCli,
): Promise<void> {
  await run('redis-cli', [
    ...args,
    ...['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`)],
    ...['--cluster-replicas', '0', '--cluster-yes'],
  ]);
  for (const port of ports)
    await waitUntil(
      async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
      `cluster state on ${port}`,
    );
}

export interface TestSentinels {
  readonly name: string;
  /** `host:port,…` as REDIS_SENTINELS takes it. */
  readonly sentinels: string;
  readonly masterPort: number;
  readonly replicaPort: number;
  /** The private CA's certificate (PEM file), with `tls`. */
  readonly caFile?: string;
  readonly cli: RedisCli;
  /** SIGKILL the master: the sentinels promote the replica. */
  killMaster(): Promise<void>;
  /** The port the sentinels name as master now. */
  currentMasterPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A master, its replica and three sentinels that fail over after one second without the master. With `altNames`
 * (`IP:127.0.0.1`), each listens on TLS only with a certificate for them, and the replica and the sentinels reach
 * the master over TLS (`--tls-replication yes`).
 */
export async function startRedisSentinels(
  name = 'igg-master',
  altNames?: string,
): Promise<TestSentinels> {
  const dir = mkdtempSync(path.join(tmpdir(), 'igg-sentinel-'));
  const tls = altNames ? await makeCertificates(dir, altNames) : undefined;
  const cli = cliFor(tls);
  const [masterPort, replicaPort, ...sentinelPorts] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const processes: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((each) => each.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  const deployment = { dir, name, tls, cli, masterPort: masterPort!, processes };
  try {
    await startReplicatedMaster(deployment, replicaPort!);
    await startSentinelProcesses(deployment, replicaPort!, sentinelPorts);
  } catch (error) {
    await stop();
    throw error;
  }
  const currentMasterPort = async () =>
    Number(
      (await cli(sentinelPorts[0]!, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)).split('\n')[1],
    );
  return {
    name,
    sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
    masterPort: masterPort!,
    replicaPort: replicaPort!,
    ...(tls ? { caFile: tls.caFile } : {}),
    cli,
    killMaster: () => processes[0]!.kill(),
    currentMasterPort,
    stop,
  };
}

interface SentinelDeployment {
  readonly dir: string;
  readonly name: string;
  readonly tls: TestCertificates | undefined;
  readonly cli: RedisCli;
  readonly masterPort: number;
  /** Each process as it starts, the master first: all of them stopped if a later one fails. */
  readonly processes: RedisProcess[];
}

const tlsReplication = (tls: TestCertificates | undefined) =>
  tls ? ['--tls-replication', 'yes'] : [];

async function startReplicatedMaster(
  { dir, tls, cli, masterPort, processes }: SentinelDeployment,
  replicaPort: number,
): Promise<void> {
  // No 5 s wait for more replicas before the master sends its data to the replica (Redis 7's default).
  const replication = [...tlsReplication(tls), '--repl-diskless-sync-delay', '0'];
  const server = (port: number, ...args: string[]) =>
    startProcess(dir, port, [...listenArgs(port, tls), ...BASE, ...replication, ...args], cli);
  processes.push(await server(masterPort));
  processes.push(await server(replicaPort, '--replicaof', '127.0.0.1', String(masterPort)));
}

async function startSentinelProcesses(
  { dir, name, tls, cli, masterPort, processes }: SentinelDeployment,
  replicaPort: number,
  sentinelPorts: readonly number[],
): Promise<void> {
  // Sentinels learn the replicas from the master's INFO when they start, then every 10 s: start them once it has one.
  await waitUntil(
    async () => (await cli(masterPort, 'INFO', 'replication')).includes('slave0:'),
    'master sees its replica',
  );
  for (const port of sentinelPorts) {
    const file = path.join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2\nsentinel down-after-milliseconds ${name} 1000\n` +
        `sentinel failover-timeout ${name} 3000\nsentinel parallel-syncs ${name} 1\n`,
    );
    const args = [file, '--sentinel', ...listenArgs(port, tls), '--bind', '127.0.0.1'];
    processes.push(await startProcess(dir, port, [...args, ...tlsReplication(tls)], cli));
  }
  // The sentinels know the replica (and each other) before a failover can promote it.
  await waitUntil(
    async () =>
      (await cli(sentinelPorts[0]!, 'SENTINEL', 'REPLICAS', name)).includes(String(replicaPort)),
    'sentinels see the replica',
  );
}

export interface TestTlsRedis {
  /** `rediss://127.0.0.1:<port>` */
  readonly url: string;
  /** The private CA's certificate (PEM file), for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  stop(): Promise<void>;
}

/** Redis over TLS only, its certificate (for 127.0.0.1) signed by a private CA made here with openssl. */
export async function startTlsRedis(): Promise<TestTlsRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'igg-redis-tls-'));
  const tls = await makeCertificates(dir);
  const port = await freePort();
  const server = await startProcess(dir, port, [...listenArgs(port, tls), ...BASE], cliFor(tls));
  return {
    url: `rediss://127.0.0.1:${port}`,
    caFile: tls.caFile,
    stop: async () => {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
