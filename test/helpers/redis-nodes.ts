import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnTied } from './tied-process';

/**
 * The pieces of test/helpers/redis-topologies.ts's deployments: `redis-cli` against one node, certificates from a
 * private CA, and one redis-server (or sentinel) process, started until it answers PING and killed as a node dies.
 */

const run = promisify(execFile);

/** `redis-cli` against one node; its answer as text. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout.trim();
}

/** `redis-cli` against one node of a deployment, over TLS and with its password when it has them. */
export type RedisCli = (port: number, ...args: string[]) => Promise<string>;
export const cliArgs = (tls?: TestCertificates, password?: string) => [
  ...(tls ? ['--tls', '--cacert', tls.caFile] : []),
  ...(password ? ['-a', password, '--no-auth-warning'] : []),
];
export const cliFor =
  (tls?: TestCertificates, password?: string): RedisCli =>
  (port, ...args) =>
    redisCli(port, ...cliArgs(tls, password), ...args);

export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

export interface TestCertificates {
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
export async function makeCertificates(
  dir: string,
  altNames = 'IP:127.0.0.1',
): Promise<TestCertificates> {
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
export function listenArgs(port: number, tls?: TestCertificates): string[] {
  if (!tls) return ['--port', String(port)];
  return [
    ...['--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no'],
    ...['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile],
    ...['--tls-ca-cert-file', tls.caFile],
  ];
}

export interface RedisProcess {
  readonly port: number;
  readonly child: ChildProcess;
  kill(): Promise<void>;
}

/** One redis-server (or sentinel) with these arguments, answering PING (through `cli`: over TLS if it listens so). */
export async function startProcess(
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
export const BASE = [
  ...['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
  ...['--maxmemory', '256mb', '--maxmemory-policy', 'noeviction'],
];
