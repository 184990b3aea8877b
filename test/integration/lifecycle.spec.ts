import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/server';
import { configurationId, userStatusId } from '../../emulator/store';
import { createLifecycle } from '../../src/server/health';
import { createLogger } from '../../src/observability/logging';
import { createGatewayServer } from '../../src/gateway';
import { FROM_SOURCE, freePort, waitUntilServing } from '../../bench/lib';
import { AUTH, UPDATE_MUTATION, memoryLog } from '../helpers/harness';

const ROOT = path.join(__dirname, '..', '..');

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());

describe('readiness', () => {
  it('/readyz is 503 while draining (not ready before start); /healthz stays 200', async () => {
    const lifecycle = createLifecycle();
    const config = loadConfig({ GRAPH_BASE_URL: emulator.baseUrl, LOG_LEVEL: 'trace' });
    const logger = createLogger('trace', memoryLog([]));
    const app = await createGatewayServer(config, { logger, lifecycle });
    expect(lifecycle.ready).toBe(false);
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    expect(await (await fetch(`${address}/readyz`)).json()).toEqual({ status: 'ready' });
    lifecycle.beginDrain();
    const draining = await fetch(`${address}/readyz`);
    expect([draining.status, await draining.json()]).toEqual([503, { status: 'draining' }]);
    expect(draining.headers.get('connection')).toBe('close');
    expect((await fetch(`${address}/healthz`)).status).toBe(200);
    await app.close();
  });
});

describe('SIGTERM', () => {
  it('is left to the entry point: a production gateway adds no SIGTERM or SIGINT listener', async () => {
    const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production'; // Apollo adds its own handlers outside NODE_ENV=test unless told not to
    try {
      const config = loadConfig({ GRAPH_BASE_URL: emulator.baseUrl, LOG_LEVEL: 'trace' });
      const app = await createGatewayServer(config, {
        logger: createLogger('trace', memoryLog([])),
      });
      expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before);
      await app.close();
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
  });

  it('lets an in-flight request finish, then exits 0; every line printed is JSON', async () => {
    emulator.faults.add({ method: 'PATCH', delayMs: 800, times: 1 });
    const port = await freePort();
    const child = spawn(process.execPath, [...FROM_SOURCE, path.join(ROOT, 'src', 'index.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        GRAPH_BASE_URL: emulator.baseUrl,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    const url = `http://127.0.0.1:${port}/graphql`;
    await waitUntilServing(url, child);

    const variables = {
      input: {
        deviceConfigurationId: configurationId('windows10-general'),
        userStatusId: userStatusId('windows10-general', 0),
        status: 'ERROR',
      },
    };
    const inFlight = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ query: UPDATE_MUTATION, variables }),
    });
    while (!emulator.requests.some((request) => request.method === 'PATCH'))
      await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill('SIGTERM');

    const response = await inFlight;
    const body = (await response.json()) as {
      data?: { updateDeviceConfigurationUserStatus?: { userStatus?: { status?: string } } };
    };
    expect(response.status).toBe(200);
    expect(body.data?.updateDeviceConfigurationUserStatus?.userStatus?.status).toBe('ERROR');
    expect(await exited).toBe(0);
    const lines = output.trim().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as { msg: string });
    expect(entries.map((entry) => entry.msg)).toEqual(
      expect.arrayContaining(['gateway listening', 'draining', 'shut down']),
    );
    expect(output).not.toContain(AUTH.authorization.slice(7));
  }, 20000);

  it('a bad variable stops start-up with one JSON line naming it and exit code 2', async () => {
    const child = spawn(process.execPath, [...FROM_SOURCE, path.join(ROOT, 'src', 'index.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', GRAPH_TIMEOUT_MS: 'soon' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(JSON.parse(output.trim())).toMatchObject({
      level: 60,
      variable: 'GRAPH_TIMEOUT_MS',
      msg: expect.stringContaining('GRAPH_TIMEOUT_MS must be a whole number') as unknown,
    });
  });
});
