import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FROM_SOURCE } from '../../bench/lib';
import { waitFor } from '../helpers/wait';

/** Gone, or a zombie nobody reaped yet (PID 1 in a container may never reap it). */
function hasEnded(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    return readFileSync(stat, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

/** `pid` runs while `parent` does, and ends within seconds once `parent` is SIGKILLed. */
async function endsWithItsParent(parent: ChildProcess, pid: number): Promise<void> {
  expect(hasEnded(pid)).toBe(false);
  parent.kill('SIGKILL');
  await waitFor(() => hasEnded(pid), 3_000);
}

/** Whatever the test found, neither process outlives it. */
function killBoth(parent: ChildProcess, pid: number): void {
  parent.kill('SIGKILL');
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // ended, as it should
  }
}

/**
 * A process started as the tests start theirs (FROM_SOURCE), under a parent that is then killed: it must end too. A
 * jest worker that died used to leave its gateways running, holding the worker's stderr pipe, and jest hung.
 */
it('a process started with FROM_SOURCE ends within seconds once its parent is killed', async () => {
  const child = [...FROM_SOURCE, '-e', 'console.log("running"); setInterval(() => {}, 1000)'];
  // The parent starts the child (its stderr inherited, as the tests' children have it), prints the child's pid once
  // the child runs (its preloaded guard in place: on a loaded machine a start can outlast the wait below), and lives
  // on until killed.
  const parentScript = `
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, ${JSON.stringify(child)}, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', () => console.log(child.pid));
    setInterval(() => {}, 1000);
  `;
  const parent = spawn(process.execPath, ['-e', parentScript], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = await new Promise<number>((resolve) =>
    parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  try {
    // Alive while its parent is, past the guard's first check (every 500 ms): a guard that ended it for nothing
    // would show here.
    await new Promise((resolve) => setTimeout(resolve, 700));
    await endsWithItsParent(parent, pid);
  } finally {
    killBoth(parent, pid);
  }
});

/**
 * The same for the redis-server the tests start (test/helpers/redis.ts, through tied-process.ts): a runner killed,
 * or failed before its teardown, used to leave its servers running. The parent starts one, prints its port and
 * lives on until killed; the server's pid is its own answer to INFO.
 */
it('a redis-server started by the test helpers ends once the process that started it is killed', async () => {
  const helper = path.join(__dirname, '..', 'helpers', 'redis.ts');
  const parentScript = `
    require(${JSON.stringify(helper)}).startRedis().then((redis) => console.log(redis.port));
    setInterval(() => {}, 1000);
  `;
  const parent = spawn(process.execPath, [...FROM_SOURCE, '-e', parentScript], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const port = await new Promise<number>((resolve) =>
    parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  const info = execFileSync('redis-cli', ['-p', String(port), 'INFO', 'server']).toString();
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  try {
    expect(pid).toBeGreaterThan(0);
    await endsWithItsParent(parent, pid);
  } finally {
    killBoth(parent, pid);
  }
});
