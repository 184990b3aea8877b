import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The compile cache of scripts/register-ts.js (how tests run the project's TypeScript in child processes) holds one
 * entry per file: an edited file's new entry replaces its old one. It used to keep every version of every file
 * ever compiled, in the machine's temporary folder, for good.
 */
const REGISTER = path.join(__dirname, '..', '..', 'scripts', 'register-ts.js');

let root: string;
beforeAll(() => (root = mkdtempSync(path.join(tmpdir(), 'igg-compile-cache-'))));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs `file` from source with the cache in `root` (os.tmpdir() follows TMPDIR); what it printed. */
const run = (file: string) =>
  execFileSync(process.execPath, ['--require', REGISTER, file], {
    env: { PATH: process.env.PATH ?? '', TMPDIR: root },
  })
    .toString()
    .trim();

it('keeps one entry per file: a changed file replaces its entry, others and unchanged files keep theirs', () => {
  const cache = path.join(root, `igg-ts-cache-${process.getuid?.() ?? 'user'}`);
  const source = path.join(root, 'src');
  mkdirSync(source);
  const first = path.join(source, 'first.ts');
  const second = path.join(source, 'second.ts');
  writeFileSync(first, 'const value: number = 1;\nconsole.log(value);\n');
  writeFileSync(second, 'const other: string = "b";\nconsole.log(other);\n');

  expect([run(first), run(second)]).toEqual(['1', 'b']);
  const before = readdirSync(cache);
  expect(before).toHaveLength(2);
  // An entry named as before the cache was bounded (a bare SHA-1) goes with the next new entry.
  const legacy = 'a'.repeat(40);
  writeFileSync(path.join(cache, legacy), '');

  writeFileSync(first, 'const value: number = 2;\nconsole.log(value);\n');
  expect(run(first)).toBe('2');
  const after = readdirSync(cache);
  expect(after).toHaveLength(2);
  expect(after).not.toContain(legacy);
  // second.ts's entry is the one that stayed; first.ts's is new.
  expect(after.filter((entry) => before.includes(entry))).toHaveLength(1);

  // Unchanged: read from the cache, nothing written or removed.
  expect([run(first), run(second)]).toEqual(['2', 'b']);
  expect(readdirSync(cache).sort()).toEqual([...after].sort());
});
