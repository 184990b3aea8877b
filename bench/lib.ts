import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import readline from 'node:readline';
import autocannon from 'autocannon';

export const ROOT = path.join(__dirname, '..');

/** Resident memory of a process, in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

export interface StartedGateway {
  readonly process: ChildProcess;
  readonly url: string;
  /** Every JSON log line the gateway wrote. */
  readonly logs: Array<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

/**
 * Node flags that run the project's TypeScript from source in a child process (see scripts/register-ts.js), which
 * ends when the process that started it is gone (scripts/exit-with-parent.js): tests start their children so.
 */
export const FROM_SOURCE: readonly string[] = [
  '--require',
  path.join(ROOT, 'scripts', 'register-ts.js'),
  '--require',
  path.join(ROOT, 'scripts', 'exit-with-parent.js'),
];

/** Newest modification time of the files under `dir`, in ms. */
function newest(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? newest(full) : statSync(full).mtimeMs;
    }),
  );
}

/**
 * How tests start gateway processes: from the build (`npm run build`) when it is newer than every source file (it
 * loads no compiler, which matters beside the rest of the suite), otherwise from source, so a stale build is never
 * what is tested. Either way the process ends with the one that started it (scripts/exit-with-parent.js).
 */
export function gatewayStartOptions(): GatewayProcessOptions {
  try {
    const fresh =
      statSync(path.join(ROOT, 'dist', 'index.js')).mtimeMs > newest(path.join(ROOT, 'src'));
    return fresh
      ? { nodeArgs: ['--require', path.join(ROOT, 'scripts', 'exit-with-parent.js')] }
      : { fromSource: true };
  } catch {
    return { fromSource: true };
  }
}

export interface GatewayProcessOptions {
  /** Run `src/index.ts` from source instead of the build (the smoke run, which must work without a build). */
  readonly fromSource?: boolean;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** Another checkout's root to run the build of (`--compare`); this one by default. */
  readonly root?: string;
}

/** A start that failed only because another process took the free port first: worth another port. */
export class PortTakenMeanwhile extends Error {}

/**
 * Why a child exited before it served, from its log: its fatal or error lines. A bare exit code left a test that
 * failed under load (a gateway of 11 started at once exited 1) with nothing to go on.
 */
export function exitReason(error: unknown, logs: ReadonlyArray<Record<string, unknown>>): Error {
  const said = logs
    .filter((line) => typeof line.level !== 'number' || line.level >= 50)
    .map((line) => {
      const err = line.err as { type?: unknown; message?: unknown } | undefined;
      const frames = Array.isArray(line.frames) ? ` ${line.frames.slice(0, 4).join(' < ')}` : '';
      return err
        ? `${String(line.msg)} (${String(err.type)}: ${String(err.message)})${frames}`
        : String(line.msg);
    })
    .slice(-3);
  const message = `${error instanceof Error ? error.message : String(error)}${said.length ? `: ${said.join(' | ')}` : ''}`;
  return said.some((line) => line.includes('is already in use'))
    ? new PortTakenMeanwhile(message)
    : new Error(message);
}

/**
 * The gateway as its own process, in production mode, on a free port; its JSON log lines are collected. Built
 * (`dist/index.js`) unless `fromSource`. The port is free when chosen, but on a busy machine another process may
 * take it before the gateway listens (a second or more from source): then it starts again on another one.
 */
export async function startBuiltGateway(
  env: Record<string, string>,
  options: GatewayProcessOptions = {},
): Promise<StartedGateway> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(env, options);
    } catch (error) {
      if (!(error instanceof PortTakenMeanwhile) || attempt === 3) throw error;
    }
  }
}

async function startOnce(
  env: Record<string, string>,
  options: GatewayProcessOptions,
): Promise<StartedGateway> {
  const port = await freePort();
  const entry = options.fromSource
    ? [...FROM_SOURCE, path.join(ROOT, 'src', 'index.ts')]
    : [path.join(options.root ?? ROOT, 'dist', 'index.js')];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...entry], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Array<Record<string, unknown>> = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  try {
    await waitUntilServing(url, child);
  } catch (error) {
    // A gateway that did not come up in time is not left running behind the failed start (and its test or bench).
    child.kill('SIGKILL');
    // Its last lines are read before they are reported.
    if (!child.stdout.closed) await once(child.stdout, 'close');
    throw exitReason(error, logs);
  }
  return {
    process: child,
    url,
    logs,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

export function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  return Number.isFinite(value) ? value : fallback;
}

/** A loopback port that is free right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Polls `{ __typename }` until the server answers (at most 15 s). Any answer below 500 means it serves: a gateway
 * that runs only trusted documents refuses the poll (400) once it listens.
 */
export async function waitUntilServing(url: string, child?: ChildProcess): Promise<void> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    if (child && child.exitCode !== null)
      throw new Error(`process exited with ${child.exitCode} before serving`);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not start serving within 15 s`);
}

export interface Child {
  readonly process: ChildProcess;
  readonly url: string;
}

/** Starts a bench server (`bench/upstream.ts`, `bench/bare.ts`, …) and reads the port it prints. */
export async function startScript(file: string, env: Record<string, string> = {}): Promise<Child> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, file)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    readline
      .createInterface({ input: child.stdout })
      .once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return { process: child, url: `http://127.0.0.1:${port}` };
}

export const BENCH_TOKEN = 'Bearer bench-token-7c1d';
const BENCH_MUTATION = `mutation U($input: UpdateDeviceConfigurationUserStatusInput!) { updateDeviceConfigurationUserStatus(input: $input) { userStatus { id status lastReportedDateTime } } }`;
/** The benchmarks' request: the mutation, as a frontend sends it. */
export const BENCH_BODY = JSON.stringify({
  query: BENCH_MUTATION,
  variables: {
    input: { deviceConfigurationId: 'c-1', userStatusId: 's-1', status: 'NOT_APPLICABLE' },
  },
});

/** The gateway's environment in every benchmark, in front of the upstream stand-in at `upstream`. */
export function benchGatewayEnv(upstream: string): Record<string, string> {
  return {
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    GRAPH_BASE_URL: `${upstream}/beta`,
    // One document reads up to 500 statuses in the batching part: raise the hostile-query limits for it.
    GRAPHQL_MAX_ALIASES: '1000',
    GRAPHQL_MAX_FIELDS: '5000',
    GRAPHQL_MAX_DOCUMENT_LENGTH: '200000',
    GRAPHQL_MAX_TOKENS: '100000',
    // Quota pacing stays on (its cost is part of the gateway's), with limits no bench run reaches: one bench
    // token sends far more than Intune's 1,000 calls per 20 s.
    GRAPH_QUOTA_APP_CALLS: '1000000',
    GRAPH_QUOTA_TENANT_CALLS: '1000000',
    GRAPH_QUOTA_APP_WRITES: '1000000',
    GRAPH_QUOTA_TENANT_WRITES: '1000000',
  };
}

/** Loads `url` with the bench's mutation; the CPU the process `pid` spent meanwhile comes with the result. */
export async function loadMutation(
  target: { readonly url: string; readonly process: ChildProcess },
  connections: number,
  seconds: number,
): Promise<{ result: autocannon.Result; cpuMs: number }> {
  const pid = target.process.pid!;
  const before = cpuMs(pid);
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: BENCH_TOKEN },
    body: BENCH_BODY,
  });
  return { result, cpuMs: cpuMs(pid) - before };
}

/** Sets the upstream stand-in's latency (bench/upstream.ts), which also resets its counters. */
export async function setUpstreamLatency(upstream: string, latencyMs: number): Promise<void> {
  await fetch(`${upstream}/__control`, { method: 'POST', body: JSON.stringify({ latencyMs }) });
}
