/**
 * `npm run bench -- --compare REF`: a second gateway, built from a git ref, to load side by side with the
 * working tree's in the same alternating rounds, so that a change is measured against its parent in one run on
 * one machine (absolute figures drift between runs; a ratio from one run does not).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './lib';

export interface RefBuild {
  /** The copy's root: `dist/index.js` is its gateway. */
  readonly root: string;
  /** e.g. `main (1c30b80a)` */
  readonly label: string;
  remove(): void;
}

/** The value after `--compare`, or null without the flag. */
export function compareRef(argv: readonly string[]): string | null {
  const index = argv.indexOf('--compare');
  if (index < 0) return null;
  const ref = argv[index + 1];
  if (!ref || ref.startsWith('--'))
    throw new Error('--compare needs a git ref, e.g. --compare main or --compare HEAD~1');
  return ref;
}

/**
 * Exports REF's tracked files with `git archive` into a temporary folder (the repository and its worktrees are
 * left alone), links this checkout's node_modules into it and builds it with its own build script.
 */
export function buildRef(ref: string): RefBuild {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: ROOT, maxBuffer: 512 * 1024 * 1024 });
  const sha = git('rev-parse', '--verify', `${ref}^{commit}`).toString().trim();
  const root = mkdtempSync(path.join(os.tmpdir(), `gateway-${sha.slice(0, 8)}-`));
  const remove = () => rmSync(root, { recursive: true, force: true }); // unlinks node_modules, never follows it
  try {
    execFileSync('tar', ['-x', '-C', root], { input: git('archive', '--format=tar', sha) });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    process.stderr.write(`building ${ref} (${sha.slice(0, 8)}) in ${root}\n`);
    execFileSync('npm', ['run', '-s', 'build'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (!existsSync(path.join(root, 'dist', 'index.js')))
      throw new Error(`${ref} built no dist/index.js`);
  } catch (error) {
    remove();
    throw error;
  }
  return { root, label: `${ref} (${sha.slice(0, 8)})`, remove };
}
