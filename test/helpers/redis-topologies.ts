import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnTied } from './tied-process';

/**
 * The Redis deployments teams run, started from Debian's `redis-server` on free loopback ports: a Redis Cluster
 * (`redis-cli --cluster create`), a master with a replica and three sentinels, and Redis over TLS with a private CA
 * (certificates made with `openssl`). Each process can be killed as a node dies (SIGKILL).
 */

const run = promisify(execFile);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `redis-cli` against one node; its answer as text. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout.trim();
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

interface RedisProcess {
  readonly port: number;
  readonly child: ChildProcess;
  kill(): Promise<void>;
}

/** One redis-server (or sentinel) with these arguments, answering PING (or, with TLS, listening). */
async function startProcess(
  dir: string,
  port: number,
  args: string[],
  tls = false,
): Promise<RedisProcess> {
  const child = spawnTied('redis-server', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  const alive = async () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${stderr}`);
    if (tls)
      return new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
    return (await redisCli(port, 'PING')) === 'PONG';
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

const BASE = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];

export interface TestCluster {
  /** `redis://127.0.0.1:<first master>`: the seed node REDIS_URL names. */
  readonly seedUrl: string;
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

/** Three masters, no replicas, every slot assigned: `redis-cli --cluster create`. */
export async function startRedisCluster(masters = 3): Promise<TestCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'igg-cluster-'));
  const ports = await Promise.all(Array.from({ length: masters }, () => freePort()));
  const nodes = await Promise.all(
    ports.map((port) =>
      startProcess(dir, port, [
        '--port',
        String(port),
        ...BASE,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '2000',
      ]),
    ),
  );
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const port of ports)
      await waitUntil(
        async () => (await redisCli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
        `cluster state on ${port}`,
      );
  } catch (error) {
    await stop();
    throw error;
  }
  return { seedUrl: `redis://127.0.0.1:${ports[0]}`, ports, stop };
}

export interface TestSentinels {
  readonly name: string;
  /** `host:port,…` as REDIS_SENTINELS takes it. */
  readonly sentinels: string;
  readonly masterPort: number;
  readonly replicaPort: number;
  /** SIGKILL the master: the sentinels promote the replica. */
  killMaster(): Promise<void>;
  /** The port the sentinels name as master now. */
  currentMasterPort(): Promise<number>;
  stop(): Promise<void>;
}

/** A master, its replica and three sentinels that fail over after one second without the master. */
export async function startRedisSentinels(name = 'igg-master'): Promise<TestSentinels> {
  const dir = mkdtempSync(path.join(tmpdir(), 'igg-sentinel-'));
  const [masterPort, replicaPort, ...sentinelPorts] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const processes: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((each) => each.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    processes.push(await startProcess(dir, masterPort!, ['--port', String(masterPort), ...BASE]));
    processes.push(
      await startProcess(dir, replicaPort!, [
        '--port',
        String(replicaPort),
        ...BASE,
        '--replicaof',
        '127.0.0.1',
        String(masterPort),
      ]),
    );
    for (const port of sentinelPorts) {
      const file = path.join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 3000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      processes.push(await startProcess(dir, port, [file, '--sentinel']));
    }
    // The sentinels know the replica (and each other) before a failover can promote it.
    await waitUntil(
      async () =>
        (await redisCli(sentinelPorts[0]!, 'SENTINEL', 'REPLICAS', name)).includes(
          String(replicaPort),
        ),
      'sentinels see the replica',
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const currentMasterPort = async () =>
    Number(
      (await redisCli(sentinelPorts[0]!, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)).split(
        '\n',
      )[1],
    );
  return {
    name,
    sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
    masterPort: masterPort!,
    replicaPort: replicaPort!,
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
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=igg test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  await openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'redis.key',
    '-out',
    'redis.csr',
  );
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await openssl(
    'x509',
    '-req',
    '-in',
    'redis.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'san.ext',
    '-out',
    'redis.pem',
  );
  const port = await freePort();
  const server = await startProcess(
    dir,
    port,
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      ...BASE,
      '--tls-cert-file',
      file('redis.pem'),
      '--tls-key-file',
      file('redis.key'),
      '--tls-ca-cert-file',
      file('ca.pem'),
      '--tls-auth-clients',
      'no',
    ],
    true,
  );
  return {
    url: `rediss://127.0.0.1:${port}`,
    caFile: file('ca.pem'),
    stop: async () => {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
