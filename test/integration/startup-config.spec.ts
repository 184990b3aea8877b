import { FROM_SOURCE } from '../../bench/lib';
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/** Starts the real entry point from source (scripts/register-ts.js) and waits for it to exit. */
async function start(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [...FROM_SOURCE, path.join(ROOT, 'src', 'index.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

// One process start (each costs a second or two); config.spec.ts has the table of refused values.
it('GRAPH_BASE_URL=http://127.evil.example/beta stops start-up: exit code 2, one JSON line naming it', async () => {
  const { code, output } = await start({ GRAPH_BASE_URL: 'http://127.evil.example/beta' });
  expect(code).toBe(2);
  expect(JSON.parse(output.trim())).toMatchObject({
    level: 60,
    variable: 'GRAPH_BASE_URL',
    msg: 'Invalid configuration: GRAPH_BASE_URL must use https (plain http only on localhost, 127.0.0.0/8 or [::1]), got "http://127.evil.example/beta"',
  });
});

/** A port held by another listener for the duration of `use`. */
async function withPortTaken<T>(use: (port: number) => Promise<T>): Promise<T> {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  try {
    return await use((holder.address() as AddressInfo).port);
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
}

// One start (METRICS_PORT's wording is in test/unit/listen-failure.spec.ts's table).
it('PORT in use stops start-up: exit code 1, one fatal JSON line naming it', async () =>
  withPortTaken(async (port) => {
    const { code, output } = await start({
      GRAPH_BASE_URL: 'http://127.0.0.1:9/beta',
      PORT: String(port),
    });
    expect(code).toBe(1);
    const fatal = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; variable?: string; msg: string })
      .filter((line) => line.level === 60);
    expect(fatal).toEqual([
      expect.objectContaining({
        variable: 'PORT',
        msg: `Gateway failed to start: port ${port} (PORT, the gateway) is already in use, perhaps by another gateway. Pick a free port with PORT, for example PORT=${port + 100 <= 65535 ? port + 100 : 8080}.`,
      }),
    ]);
    expect(output).not.toContain('    at '); // no stack trace
  }));

it('a trusted documents manifest with a document that does not parse stops start-up naming GRAPHQL_TRUSTED_DOCUMENTS', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'igg-manifest-'));
  const manifest = path.join(dir, 'persisted-documents.json');
  writeFileSync(
    manifest,
    JSON.stringify({ 'get-v1': 'query Get { deviceConfigurationUserStatus(' }),
  );
  try {
    const { code, output } = await start({ GRAPHQL_TRUSTED_DOCUMENTS: manifest });
    expect(code).toBe(2);
    const line = JSON.parse(output.trim()) as { level: number; variable: string; msg: string };
    expect(line).toMatchObject({ level: 60, variable: 'GRAPHQL_TRUSTED_DOCUMENTS' });
    expect(line.msg).toMatch(
      new RegExp(
        `^Invalid configuration: GRAPHQL_TRUSTED_DOCUMENTS ${manifest.replace(/[.\\/]/g, '\\$&')} has a document that does not parse, "get-v1": Syntax Error`,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
