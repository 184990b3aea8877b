import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../bench/lib';
import { spawnTied } from './tied-process';
import { waitFor } from './wait';

/**
 * Redis over TLS only, with certificates made here by openssl: private CAs, server certificates they sign, client
 * certificates (`extendedKeyUsage=clientAuth`) for `--tls-auth-clients yes`, and a certificate swapped while it
 * runs (`CONFIG SET tls-cert-file`), as a rotation does. P-256 keys: a few milliseconds each.
 */

const run = promisify(execFile);

export interface TestCa {
  readonly name: string;
  /** The CA's certificate (PEM file): for NODE_EXTRA_CA_CERTS, or a server's `--tls-ca-cert-file`. */
  readonly caFile: string;
  readonly keyFile: string;
}

export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
}

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A private CA in `dir`, its files named after it. */
export async function makeCa(dir: string, name: string): Promise<TestCa> {
  const caFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  await run('openssl', [
    ...['req', '-x509', ...NEW_KEY, '-days', '1', '-subj', `/CN=${name}`],
    ...['-keyout', keyFile, '-out', caFile],
  ]);
  return { name, caFile, keyFile };
}

/**
 * A certificate `ca` signs, named `name` in `dir`: for a server (`altNames` such as `IP:127.0.0.1`), or for a client
 * (`client`: `extendedKeyUsage=clientAuth`, as Redis checks a client's certificate against its CA).
 */
export async function issue(
  ca: TestCa,
  dir: string,
  name: string,
  use: { altNames: string } | { client: true },
): Promise<TestCertificate> {
  const file = (suffix: string) => path.join(dir, `${name}.${suffix}`);
  await run('openssl', [
    ...['req', ...NEW_KEY, '-subj', `/CN=${name}`, '-keyout', file('key'), '-out', file('csr')],
  ]);
  const extension =
    'client' in use ? 'extendedKeyUsage=clientAuth' : `subjectAltName=${use.altNames}`;
  writeFileSync(file('ext'), `${extension}\n`);
  await run('openssl', [
    ...['x509', '-req', '-in', file('csr'), '-CA', ca.caFile, '-CAkey', ca.keyFile],
    ...['-CAcreateserial', '-days', '1', '-extfile', file('ext'), '-out', file('pem')],
  ]);
  return { certFile: file('pem'), keyFile: file('key') };
}

export interface TlsRedisServer {
  readonly port: number;
  readonly url: string;
  /**
   * `redis-cli` over TLS, with a client certificate when the server asks for one. It does not check the server's
   * certificate (`--insecure`): an admin's channel that still works once the certificate is swapped.
   */
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface TlsRedisOptions {
  /** The CA that signs the server's certificate, and (with `clients`) the clients'. */
  readonly ca: TestCa;
  readonly server: TestCertificate;
  /** `--tls-auth-clients yes`, and the certificate redis-cli presents. */
  readonly clients?: TestCertificate;
  readonly password?: string;
  readonly dir: string;
}

/** redis-server on a free port, TLS only (`--port 0`), answering PING through redis-cli before it resolves. */
export async function startTlsRedisServer(options: TlsRedisOptions): Promise<TlsRedisServer> {
  const { ca, server, clients, password, dir } = options;
  const port = await freePort();
  const child: ChildProcess = spawnTied(
    'redis-server',
    [
      ...['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1'],
      ...['--tls-cert-file', server.certFile, '--tls-key-file', server.keyFile],
      ...['--tls-ca-cert-file', ca.caFile, '--tls-auth-clients', clients ? 'yes' : 'no'],
      ...['--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'],
      // As docs/quotas.md asks: without a bound, automatic persisted queries stay in-process.
      ...['--maxmemory', '256mb', '--maxmemory-policy', 'noeviction'],
      ...(password ? ['--requirepass', password] : []),
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const cli = async (...args: string[]) => {
    const { stdout } = await run('redis-cli', [
      ...['-h', '127.0.0.1', '-p', String(port), '--tls', '--insecure'],
      ...(clients ? ['--cert', clients.certFile, '--key', clients.keyFile] : []),
      ...(password ? ['-a', password, '--no-auth-warning'] : []),
      ...args,
    ]);
    return stdout.trim();
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  try {
    await waitFor(async () => (await cli('PING').catch(() => '')) === 'PONG', 10_000, 20);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url: `rediss://127.0.0.1:${port}`, cli, stop };
}

/** A folder for one test's certificates and servers, removed by `remove`. */
export function certificateDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'igg-redis-tls-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
