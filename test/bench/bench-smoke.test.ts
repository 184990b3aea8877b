import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

// Benchmarks are not part of the test suite (no timing assertions here), but the script must keep working: a
// smoke run with tiny settings starts every target, checks their answers, loads them and prints the tables.
it('npm run bench -- --smoke runs end to end', async () => {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(ROOT, 'bench', 'run.ts'), '--smoke'],
    {
      cwd: ROOT,
      env: { ...process.env, BENCH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  expect(output).toMatch(/\| 0 ms \| 4 \| \d+ \/ \d+ \/ \d+ \|/);
  expect(output).toMatch(/\| 20 \| 1 \| \d+ \| 20 \|/); // 20 reads: one $batch call
  expect(output).toContain('smoke results:');
  // The quota scenario: three replicas through Redis; every write answered, the calls over the limit counted.
  expect(output).toMatch(/\| 20 \| \d+ \| [^|]+ \| 3\.0 s \| [\d.]+ s \|/);
  expect(output).toContain('smoke quota results:');
}, 90000);
