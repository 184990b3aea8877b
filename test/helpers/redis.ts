import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnTied } from './tied-process';

/**
 * A real `redis-server` (Debian's, on PATH; `.ci/run` installs it) on a free loopback port, without persistence, with
 * a `maxmemory` of 256 MB and `noeviction`.
 * Tests can kill it mid-run and start it again on the same port, to see the fallback and the recovery.
 */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL: no goodbye to clients, as when a node dies. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing answers, as in a network partition. `thaw()` resumes it. */
  freeze(): void;
  thaw(): void;
  /** Starts it again on the same port (empty: nothing was saved). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestRedisOptions {
  readonly binary?: string;
  readonly startTimeoutMs?: number;
  /** More arguments for `redis-server` (`--cluster-enabled yes`…). */
  readonly args?: readonly string[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Sends PING in the Redis protocol and resolves when `+PONG` comes back. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

async function waitForPing(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server did not answer PING on ${port} within ${timeoutMs} ms`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** `redis-server`'s arguments: on `port`, its files in `dir`, then the test's own. */
function redisArgs(port: number, dir: string, more: readonly string[]): string[] {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    // As docs/quotas.md asks: a bound, and refused writes rather than evictions. Without a bound automatic
    // persisted queries stay in-process (src/redis/memory-room.ts).
    '--maxmemory',
    '256mb',
    '--maxmemory-policy',
    'noeviction',
  ];
  args.push('--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', ...more);
  return args;
}

interface RedisProcessOptions {
  readonly binary: string;
  readonly port: number;
  readonly dir: string;
  readonly startTimeoutMs: number;
  readonly args: readonly string[];
}

/** The one `redis-server` of a `TestRedis` at a time: launched until it answers PING, ended by a signal. */
function createRedisProcess(options: RedisProcessOptions) {
  const { binary, port, startTimeoutMs } = options;
  let child: ChildProcess | undefined;
  let stderr = '';
  const launch = async () => {
    const args = redisArgs(port, options.dir, options.args);
    const started = spawnTied(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    started.stderr?.on(
      'data',
      (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)),
    );
    const failed = new Promise<never>((_, reject) =>
      started.once('error', (error) => reject(new Error(`cannot run ${binary}: ${error.message}`))),
    );
    child = started;
    await Promise.race([waitForPing(port, started, startTimeoutMs), failed]).catch(
      (error: Error) => {
        started.kill('SIGKILL');
        throw new Error(`${error.message}${stderr ? `\n${stderr}` : ''}`);
      },
    );
  };
  const end = async (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    if (!running) return;
    running.kill('SIGCONT');
    running.kill(signal);
    await exited(running);
  };
  return { launch, end, signal: (signal: NodeJS.Signals) => void child?.kill(signal) };
}

export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const binary = options.binary ?? 'redis-server';
  const startTimeoutMs = options.startTimeoutMs ?? 5_000;
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'igg-redis-'));
  const args = options.args ?? [];
  const server = createRedisProcess({ binary, port, dir, startTimeoutMs, args });

  await server.launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => server.end('SIGKILL'),
    freeze: () => server.signal('SIGSTOP'),
    thaw: () => server.signal('SIGCONT'),
    restart: async () => {
      await server.end('SIGKILL');
      await server.launch();
    },
    stop: async () => {
      await server.end('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
