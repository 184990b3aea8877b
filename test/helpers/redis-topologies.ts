import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../bench/lib';
import { spawnTied } from './tied-process';

/**
 * The Redis deployments teams run, started from Debian's `redis-server` on free loopback ports: a Redis Cluster
 * (`redis-cli --cluster create`), a master with a replica and three sentinels, and Redis over TLS with a private CA
 * (certificates made with `openssl`); the cluster and the sentinels over TLS only too. Each process can be killed
 * as a node dies (SIGKILL).
 */

const run = promisify(execFile);

/** `redis-cli` against one node; its answer as text. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout.trim();
}

/** `redis-cli` against one node of a deployment, over TLS and with its password when it has them. */
export type RedisCli = (port: number, ...args: string[]) => Promise<string>;
const cliArgs = (tls?: TestCertificates, password?: string) => [
  ...(tls ? ['--tls', '--cacert', tls.caFile] : []),
  ...(password ? ['-a', password, '--no-auth-warning'] : []),
];
const cliFor =
  (tls?: TestCertificates, password?: string): RedisCli =>
  (port, ...args) =>
    redisCli(port, ...cliArgs(tls, password), ...args);

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

interface TestCertificates {
  /** The private CA's certificate (PEM file): for NODE_EXTRA_CA_CERTS, and the servers' own check of each other. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * A private CA made here with openssl, and one certificate it signs for `altNames` (`IP:127.0.0.1`,
 * `DNS:localhost`), for every server of a deployment (and, with TLS between them, as their client certificate).
 * P-256 keys: about 4 ms each for openssl on this project's machine, where an RSA 2048 key took about 0.2 s.
 */
async function makeCertificates(dir: string, altNames = 'IP:127.0.0.1'): Promise<TestCertificates> {
  const openssl = (args: string) => run('openssl', args.split(' '), { cwd: dir });
  const newKey = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  await openssl(`req -x509 ${newKey} -days 1 -subj /CN=igg-test-CA -keyout ca.key -out ca.pem`);
  await openssl(`req ${newKey} -subj /CN=igg-test-redis -keyout redis.key -out redis.csr`);
  writeFileSync(path.join(dir, 'san.ext'), `subjectAltName=${altNames}\n`);
  await openssl(
    'x509 -req -in redis.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out redis.pem',
  );
  const file = (name: string) => path.join(dir, name);
  return { caFile: file('ca.pem'), certFile: file('redis.pem'), keyFile: file('redis.key') };
}

/** Where a server listens: its port, or with certificates its TLS port alone (`--port 0`); no client certificates. */
function listenArgs(port: number, tls?: TestCertificates): string[] {
  if (!tls) return ['--port', String(port)];
  return [
    ...['--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no'],
    ...['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile],
    ...['--tls-ca-cert-file', tls.caFile],
  ];
}

interface RedisProcess {
  readonly port: number;
  readonly child: ChildProcess;
  kill(): Promise<void>;
}

/** One redis-server (or sentinel) with these arguments, answering PING (through `cli`: over TLS if it listens so). */
async function startProcess(
  dir: string,
  port: number,
  args: string[],
  cli: RedisCli = redisCli,
): Promise<RedisProcess> {
  const child = spawnTied('redis-server', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  const alive = async () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${stderr}`);
    return (await cli(port, 'PING')) === 'PONG';
  };
  await waitUntil(alive, `redis-server on ${port}`);
  return {
    port,
    child,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** No persistence, and the memory settings docs/quotas.md asks for (without a bound APQ stays in-process). */
const BASE = [
  ...['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
  ...['--maxmemory', '256mb', '--maxmemory-policy', 'noeviction'],
];

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
    ports.map((port) =>
      startProcess(
        dir,
        port,
        [
          ...listenArgs(port, tls),
          ...BASE,
          ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
          ...['--cluster-node-timeout', '2000'],
          ...(tls ? ['--tls-cluster', 'yes'] : []),
          ...(hostname ? ['--cluster-announce-hostname', hostname] : []),
          ...(hostname ? ['--cluster-preferred-endpoint-type', 'hostname'] : []),
          ...(password ? ['--requirepass', password] : []),
        ],
        cli,
      ),
    ),
  );
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('redis-cli', [
      ...cliArgs(tls, password),
      ...['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`)],
      ...['--cluster-replicas', '0', '--cluster-yes'],
    ]);
    for (const port of ports)
      await waitUntil(
        async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
        `cluster state on ${port}`,
      );
  } catch (error) {
    await stop();
    throw error;
  }
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  const seedUrl = `${tls ? 'rediss' : 'redis'}://${auth}${hostname ?? '127.0.0.1'}:${ports[0]}`;
  return { seedUrl, ports, ...(tls ? { caFile: tls.caFile } : {}), cli, stop };
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
  const tlsReplication = tls ? ['--tls-replication', 'yes'] : [];
  // No 5 s wait for more replicas before the master sends its data to the replica (Redis 7's default).
  const replication = [...tlsReplication, '--repl-diskless-sync-delay', '0'];
  const server = (port: number, ...args: string[]) =>
    startProcess(dir, port, [...listenArgs(port, tls), ...BASE, ...replication, ...args], cli);
  try {
    processes.push(await server(masterPort!));
    processes.push(await server(replicaPort!, '--replicaof', '127.0.0.1', String(masterPort)));
    // Sentinels learn the replicas from the master's INFO when they start, then every 10 s: start them once it has one.
    await waitUntil(
      async () => (await cli(masterPort!, 'INFO', 'replication')).includes('slave0:'),
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
      processes.push(await startProcess(dir, port, [...args, ...tlsReplication], cli));
    }
    // The sentinels know the replica (and each other) before a failover can promote it.
    await waitUntil(
      async () =>
        (await cli(sentinelPorts[0]!, 'SENTINEL', 'REPLICAS', name)).includes(String(replicaPort)),
      'sentinels see the replica',
    );
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
