import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Jest runs only the runner files in test/suites (see test/helpers/suite.ts for why). A spec missing from every
 * runner would never run, and one listed twice would run twice: this audit catches both.
 */
const TEST_ROOT = path.join(__dirname, '..');
const SUITES = path.join(TEST_ROOT, 'suites');

function specsIn(folder: string): string[] {
  return readdirSync(path.join(TEST_ROOT, folder))
    .filter((file) => file.endsWith('.spec.ts'))
    .map((file) => `${folder}/${file.slice(0, -'.spec.ts'.length)}`);
}

/** Every `folder/name` a runner lists, once per listing. */
function listedSpecs(): string[] {
  return readdirSync(SUITES).flatMap((runner) => {
    const source = readFileSync(path.join(SUITES, runner), 'utf8');
    const call = /describeSpecs\('(unit|integration)',\s*\[([^\]]*)\]\)/.exec(source);
    if (!call) throw new Error(`${runner} does not call describeSpecs(folder, [names])`);
    return [...call[2]!.matchAll(/'([^']+)'/g)].map((name) => `${call[1]}/${name[1]}`);
  });
}

function count(names: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

describe('test runners (test/suites)', () => {
  const specs = [...specsIn('unit'), ...specsIn('integration')];
  const listed = count(listedSpecs());

  it('list every spec of test/unit and test/integration', () => {
    expect(specs.filter((spec) => !listed.has(spec))).toEqual([]);
  });

  it('list each spec once', () => {
    expect([...listed].filter(([, times]) => times > 1).map(([spec]) => spec)).toEqual([]);
  });

  it('list only specs that exist', () => {
    expect([...listed.keys()].filter((spec) => !specs.includes(spec))).toEqual([]);
  });

  it('each have a place in the order of test/sequencer.js (the waiting ones start first)', () => {
    const source = readFileSync(path.join(TEST_ROOT, 'sequencer.js'), 'utf8');
    const order = [
      ...(/const ORDER = \[([^\]]*)\]/.exec(source)?.[1] ?? '').matchAll(/'([^']+)'/g),
    ];
    const runners = readdirSync(SUITES).map((runner) => runner.replace(/\.test\.ts$/, ''));
    expect(order.map((name) => name[1]).sort()).toEqual(runners.sort());
  });

  it('are the only jest files in test/unit and test/integration (a stray *.test.ts would never run)', () => {
    const stray = ['unit', 'integration'].flatMap((folder) =>
      readdirSync(path.join(TEST_ROOT, folder)).filter((file) => !file.endsWith('.spec.ts')),
    );
    expect(stray).toEqual([]);
  });
});
