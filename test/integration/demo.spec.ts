import { FROM_SOURCE } from '../../bench/lib';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const DEMO = path.join(__dirname, '..', '..', 'emulator', 'demo', 'main.ts');

interface Demo {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/** `npm run demo` from source (as the emulator CLI test runs the emulator), with these variables. */
function startDemo(env: Record<string, string>): Demo {
  const child = spawn(process.execPath, [...FROM_SOURCE, DEMO], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output };
}

/** Polls the demo's output (it starts at its own pace); fails after 15 s. */
async function outputMatching(demo: Demo, pattern: RegExp): Promise<RegExpExecArray> {
  for (const started = Date.now(); ;) {
    const match = pattern.exec(demo.output());
    if (match) return match;
    if (Date.now() - started > 15000 || demo.child.exitCode !== null)
      throw new Error(`no ${pattern} in the demo's output:\n${demo.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let busy: net.Server;
let busyPort: number;
beforeAll(async () => {
  busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => busy.close(resolve)));

describe('npm run demo', () => {
  it.each([
    ['PORT', 'the GraphQL gateway', { PORT: 'busy', EMULATOR_PORT: '0' }],
    ['EMULATOR_PORT', 'the Graph emulator', { PORT: '0', EMULATOR_PORT: 'busy' }],
  ])(
    'a busy %s: the demo says which port, what needs it and how to pick others, and exits 1',
    async (variable, what, ports) => {
      const env = Object.fromEntries(
        Object.entries(ports).map(([name, value]) => [
          name,
          value === 'busy' ? String(busyPort) : value,
        ]),
      );
      const demo = startDemo(env);
      expect(await demo.exited).toBe(1);
      const output = demo.output();
      expect(output).toContain(`port ${busyPort} (${what}) is already in use`);
      expect(output).toContain('PORT=4100 EMULATOR_PORT=4110 npm run demo');
      expect(output).toContain(`${variable} is the one to change here`);
      expect(output).not.toContain('EADDRINUSE');
      expect(output).not.toMatch(/\n\s+at /); // no stack trace
    },
    20000,
  );

  it('starts on the ports it is given and prints its warnings as readable lines after the banner', async () => {
    const demo = startDemo({ PORT: '0', EMULATOR_PORT: '0' });
    try {
      const [, gateway] = await outputMatching(demo, /GraphQL gateway {2}(\S+)/);
      const token = (await outputMatching(demo, /Bearer (\S+)'/))[1]!;
      await outputMatching(demo, /Ctrl\+C stops both/);
      const response = await fetch(gateway!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query:
            '{ deviceConfigurationUserStatus(deviceConfigurationId: "fb2e09f7-878d-4440-aa28-935f7a56e498", userStatusId: "nobody") { id } }',
        }),
      });
      expect(((await response.json()) as { errors: unknown[] }).errors).toHaveLength(1);
      const [warning] = await outputMatching(
        demo,
        /^ {2}\d\d:\d\d:\d\d WARN {2}graph call failed .*$/m,
      );
      expect(warning).toContain('graph.status=404');
      expect(demo.output().indexOf(warning)).toBeGreaterThan(demo.output().indexOf('Ctrl+C'));
      expect(demo.output()).not.toContain('{"level"');
    } finally {
      demo.child.kill('SIGTERM');
      expect(await demo.exited).toBe(0);
    }
  }, 20000);
});
