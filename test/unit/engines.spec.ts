import { readFileSync } from 'node:fs';
import path from 'node:path';
import { subset, satisfies } from 'semver';
import { readDockerfile } from '../../scripts/dockerfile';

const ROOT = path.join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};
interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly engines?: { readonly node?: string };
}
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

/**
 * The production packages whose own `engines.node` does not cover every Node version the project claims: each would
 * print an EBADENGINE warning on some of those versions (`npm ci --omit=dev`).
 */
function narrowerEngines(packages: Record<string, LockEntry>, claimed: string): string[] {
  return Object.entries(packages)
    .filter(([name, entry]) => name !== '' && !entry.dev && entry.engines?.node)
    .filter(([, entry]) => !subset(claimed, entry.engines!.node!))
    .map(([name, entry]) => `${name}@${entry.version} needs node ${entry.engines!.node}`);
}

describe('Node versions: package.json engines says what is true', () => {
  it.each([
    ['>=18', '^20.18.1 || >=22', []],
    ['20 || >=22', '^20.18.1 || >=22', []],
    ['>=22', '^20.18.1 || >=22', ['node_modules/x@1.0.0 needs node >=22']],
    ['>=22.15.0', '>=22', ['node_modules/x@1.0.0 needs node >=22.15.0']],
  ])('a production package needing %s against engines %s', (needs, claimed, expected) => {
    expect(
      narrowerEngines(
        { 'node_modules/x': { version: '1.0.0', engines: { node: needs } } },
        claimed,
      ),
    ).toEqual(expected);
  });

  it('ignores development packages (CI and contributors install those, never production)', () => {
    const dev = { 'node_modules/x': { version: '1', dev: true, engines: { node: '>=99' } } };
    expect(narrowerEngines(dev, '>=20')).toEqual([]);
  });

  it('every production package of the lock file runs on every Node version engines claims', () => {
    expect(narrowerEngines(lock.packages, manifest.engines.node)).toEqual([]);
  });

  it('the Node that runs these tests and the Docker image Node are both within engines', () => {
    expect(satisfies(process.versions.node, manifest.engines.node)).toBe(true);
    const image = readDockerfile(path.join(ROOT, 'Dockerfile')).at(-1)?.from ?? '';
    const minor = /^node:(\d+\.\d+)-/.exec(image)?.[1];
    expect(minor).toBeDefined();
    expect(satisfies(`${minor}.0`, manifest.engines.node)).toBe(true);
  });
});
