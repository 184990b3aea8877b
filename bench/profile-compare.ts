/**
 * `npm run bench:profile -- --compare REF [--rounds 4] [--seconds 8]`: where one build's CPU per request differs
 * from REF's. Both builds run under `node --cpu-prof`, in alternating rounds (A B, B A, …) against one upstream
 * stand-in at c=64, and every function's self time is divided by the requests its build answered: the output is
 * µs per request by package and by function, the largest differences first. Paired runs (`bench:paired`) say how
 * much dearer a build is; this says where. The profiler roughly doubles every cost: read the differences between
 * the two columns, not the absolute µs.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildRef } from './compare';
import { benchGatewayEnv, loadMutation, startBuiltGateway, startScript } from './lib';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self time (µs) by `function package-path:line`, summed over every profile of one build. */
type SelfTimes = Map<string, number>;

interface Side {
  readonly label: string;
  readonly root: string | undefined;
  readonly self: SelfTimes;
  requests: number;
}

/** The file a frame is in, relative to its package (`graphql/execution/values.js`) or the build (`dist/…`). */
function whereOf(url: string): string {
  if (!url) return '(native)';
  const inPackage = /node_modules\/(.+)$/.exec(url);
  if (inPackage) return inPackage[1]!;
  const inBuild = /\/(dist\/.+)$/.exec(url);
  return inBuild ? inBuild[1]! : url;
}

/** A package's name from `whereOf` (`@apollo/server`, `graphql`), `dist` for the gateway's own code. */
function packageOf(where: string): string {
  if (where.startsWith('dist/')) return 'gateway (dist)';
  if (where.startsWith('node:')) return 'node core';
  if (where.startsWith('(')) return where;
  const parts = where.split('/');
  return where.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function addProfile(file: string, into: SelfTimes): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id)!.callFrame;
    const key = `${frame.functionName || '(anonymous)'} ${whereOf(frame.url)}:${frame.lineNumber}`;
    into.set(key, (into.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
}

/** One profiled round of one build: a 2-s warm-up, then `seconds` under load; its profile is added to the side. */
async function profiledRound(side: Side, upstream: string, seconds: number, folder: string) {
  const before = new Set(readdirSync(folder));
  const gateway = await startBuiltGateway(benchGatewayEnv(upstream), {
    root: side.root,
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${folder}`],
  });
  const warmUp = await loadMutation(gateway, 64, 2);
  const { result } = await loadMutation(gateway, 64, seconds);
  await gateway.stop(); // the profile is written as the process exits
  const file = readdirSync(folder).find((name) => !before.has(name));
  if (!file) throw new Error(`no profile written for ${side.label}`);
  addProfile(path.join(folder, file), side.self);
  // The warm-up's requests are in the profile too (and so is the start, alike for both builds).
  side.requests += warmUp.result.requests.total + result.requests.total;
  process.stderr.write(`${side.label}: ${Math.round(result.requests.average)} req/s\n`);
}

const perRequest = (side: Side, times: Map<string, number>, key: string) =>
  (times.get(key) ?? 0) / side.requests;

function byPackage(self: SelfTimes): Map<string, number> {
  const packages = new Map<string, number>();
  for (const [key, time] of self) {
    const name = packageOf(key.slice(key.indexOf(' ') + 1).replace(/:\d+$/, ''));
    packages.set(name, (packages.get(name) ?? 0) + time);
  }
  return packages;
}

/** Rows of `µs/req here  µs/req REF  difference  name`, largest differences first. */
function differences(
  a: Side,
  b: Side,
  timesA: Map<string, number>,
  timesB: Map<string, number>,
  count: number,
) {
  const keys = new Set([...timesA.keys(), ...timesB.keys()]);
  return [...keys]
    .map((key) => [key, perRequest(a, timesA, key), perRequest(b, timesB, key)] as const)
    .sort((x, y) => Math.abs(y[1] - y[2]) - Math.abs(x[1] - x[2]))
    .slice(0, count)
    .map(([key, here, there]) => {
      const cell = (value: number) => value.toFixed(2).padStart(8);
      return `${cell(here)} ${cell(there)} ${cell(here - there)}  ${key}`;
    });
}

export async function compareProfiles(
  ref: string,
  rounds: number,
  seconds: number,
): Promise<string> {
  const folder = path.join(os.tmpdir(), `gateway-profiles-${process.pid}`);
  mkdirSync(folder, { recursive: true });
  const build = buildRef(ref);
  const upstream = await startScript('upstream.ts');
  const here: Side = { label: 'working tree', root: undefined, self: new Map(), requests: 0 };
  const there: Side = { label: build.label, root: build.root, self: new Map(), requests: 0 };
  try {
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? [here, there] : [there, here];
      for (const side of order) await profiledRound(side, upstream.url, seconds, folder);
    }
  } finally {
    upstream.process.kill('SIGTERM');
    build.remove();
    rmSync(folder, { recursive: true, force: true });
  }
  const busy = (side: Side) => {
    let total = 0;
    for (const [key, time] of side.self) if (!key.startsWith('(idle)')) total += time;
    return (total / side.requests).toFixed(1);
  };
  const header = `   here     REF     diff   (µs of CPU per request, under the profiler)`;
  return [
    `working tree against ${there.label}, ${rounds} rounds of ${seconds} s each at c=64, 0 ms`,
    `busy µs per request: here ${busy(here)}, REF ${busy(there)}`,
    '',
    'by package, largest differences first:',
    header,
    ...differences(here, there, byPackage(here.self), byPackage(there.self), 20),
    '',
    'by function (self time), largest differences first:',
    header,
    ...differences(here, there, here.self, there.self, 50),
  ].join('\n');
}
