import { spawn } from 'node:child_process';
import { readFileSync, utimesSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm run dev` restarts on a change under schema/ and examples/operations/ (read at start, not imported, so
 * `tsx watch` sees them only through `--include`). The script's own `tsx watch` flags from package.json, run on a
 * process that only stays up, so that the test needs no demo: touching a file must restart it.
 */
const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const KEEP_ALIVE = path.join(ROOT, 'test', 'fixtures', 'keep-alive.mjs');

function devWatchArgs(): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = scripts.dev!.split(/\s+/);
  expect(command).toBe('tsx');
  expect(args.at(-1)).toBe('emulator/demo/main.ts');
  return [...args.slice(0, -1), KEEP_ALIVE];
}

it('a change under schema/, then under examples/operations/, restarts `npm run dev` each time', async () => {
  const child = spawn(process.execPath, [TSX, ...devWatchArgs()], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const starts = () => output.match(/^started \d+$/gm)?.length ?? 0;
  const startsReach = async (count: number) => {
    for (const started = Date.now(); starts() < count;) {
      if (Date.now() - started > 15000) throw new Error(`not started ${count} times:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  try {
    await startsReach(1);
    for (const [index, file] of [
      'schema/user-status.graphql',
      'examples/operations/get.graphql',
    ].entries()) {
      // The file's content stays as it is; only its modification time moves, again until tsx sees it (its
      // watcher may be set up a moment after the first start).
      const target = path.join(ROOT, file);
      const seen = () => output.includes(`change in ./${file}`);
      for (const started = Date.now(); !seen();) {
        if (Date.now() - started > 15000) throw new Error(`no change seen:\n${output}`);
        const now = new Date();
        utimesSync(target, now, now);
        for (let wait = 0; wait < 10 && !seen(); wait += 1)
          await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await startsReach(index + 2);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}, 40000);
