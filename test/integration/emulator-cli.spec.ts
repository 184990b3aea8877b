import { FROM_SOURCE } from '../../bench/lib';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { graphCall } from '../helpers/graph-call';
import type { EmulatorAdminState } from '../helpers/graph-call';

const MAIN = path.join(__dirname, '..', '..', 'emulator', 'main.ts');

/** Runs the emulator's own entry as `npm run emulator` does (from source), with this environment. */
function run(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, [...FROM_SOURCE, MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', EMULATOR_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const admin = /admin API: (\S+)/.exec(output)?.[1];
      if (admin) resolve(admin);
    });
    void exited.then(() => reject(new Error(`emulator exited: ${output}`)));
  });
  listening.catch(() => undefined); // awaited by the tests that expect it to listen
  return { child, exited, listening, output: () => output };
}

let running: ChildProcess | undefined;
afterEach(async () => {
  if (!running || running.exitCode !== null) return;
  const exited = new Promise((resolve) => running?.once('exit', resolve));
  running.kill('SIGTERM');
  await exited;
  running = undefined;
});

describe('npm run emulator (emulator/main.ts)', () => {
  it('takes its mode from --mode and its quotas from EMULATOR_QUOTA_*', async () => {
    const emulator = run(
      {
        EMULATOR_QUOTA_WINDOW_MS: '3000',
        EMULATOR_QUOTA_APP_WRITES: '10',
        EMULATOR_PAGE_SIZE: '2',
      },
      ['--mode', 'intune'],
    );
    running = emulator.child;
    const admin = await emulator.listening;
    expect(emulator.output()).toContain(
      'Mode: intune; quotas: per 3000 ms, 10 writes and 1000 calls per app per tenant, 200 writes and 2000 calls per tenant;',
    );
    const { body } = await graphCall<EmulatorAdminState>('GET', `${admin}/settings`);
    expect(body.settings).toMatchObject({ mode: 'intune', pageSize: 2, errors: 'intune' });
    expect(body.quotas).toEqual({
      enabled: true,
      windowMs: 3000,
      appWrites: 10,
      tenantWrites: 200,
      appCalls: 1000,
      tenantCalls: 2000,
    });
  }, 15000);

  it('EMULATOR_QUOTAS=off turns quotas off', async () => {
    const emulator = run({ EMULATOR_QUOTAS: 'off', EMULATOR_MODE: 'friendly' });
    running = emulator.child;
    const admin = await emulator.listening;
    expect(emulator.output()).toContain('Mode: friendly; quotas: off');
    expect(
      (await graphCall<EmulatorAdminState>('GET', `${admin}/settings`)).body.quotas.enabled,
    ).toBe(false);
  }, 15000);

  it('refuses a bad setting with a clear message and exit code 2', async () => {
    const emulator = run({ EMULATOR_MODE: 'strict' });
    expect(await emulator.exited).toBe(2);
    expect(emulator.output()).toContain(
      'emulator settings: mode must be one of "friendly", "intune"',
    );
  }, 15000);
});
