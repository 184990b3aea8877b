/**
 * `npm run bench:profile`: runs the built gateway under `node --cpu-prof`, loads it with the benchmark's mutation
 * at concurrency 64 against the upstream stand-in (0 ms, or `-- --latency 20`), and prints where its CPU time went: by package and by
 * function (self time). The .cpuprofile is kept in bench/results/ for a flame graph (Chrome DevTools, speedscope).
 * `-- --compare REF` profiles this build and REF's side by side instead, per request (bench/profile-compare.ts).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compareRef } from './compare';
import { compareProfiles } from './profile-compare';
import {
  argument,
  benchGatewayEnv,
  loadMutation,
  setUpstreamLatency,
  startBuiltGateway,
  startScript,
} from './lib';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

function packageOf(url: string): string {
  const match = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.includes('/dist/')) return 'gateway (dist)';
  if (url.startsWith('node:') || !url) return url ? 'node core' : '(native/gc/idle)';
  return url;
}

async function main(): Promise<void> {
  const ref = compareRef(process.argv);
  if (ref) {
    console.log(await compareProfiles(ref, argument('rounds', 4), argument('seconds', 8)));
    return;
  }
  const seconds = argument('seconds', 10);
  const folder = path.join(__dirname, 'results');
  mkdirSync(folder, { recursive: true });
  const upstream = await startScript('upstream.ts');
  // `--latency 20` profiles the bench's 20 ms point instead of its 0 ms one.
  const latencyMs = argument('latency', 0);
  await setUpstreamLatency(upstream.url, latencyMs);
  const before = new Set(readdirSync(folder));
  const gateway = await startBuiltGateway(benchGatewayEnv(upstream.url), {
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${folder}`],
  });
  const { result } = await loadMutation(gateway, 64, seconds);
  console.log(`${result.requests.total} requests, ${Math.round(result.requests.average)} req/s`);
  await gateway.stop(); // the profile is written as the process exits
  upstream.process.kill('SIGTERM');
  const file = readdirSync(folder).find(
    (name) => name.endsWith('.cpuprofile') && !before.has(name),
  );
  if (!file) throw new Error('no profile written');
  const profile = JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) =>
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)),
  );
  const total = [...self.values()].reduce((sum, value) => sum + value, 0);
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, time] of self) {
    const frame = byId.get(id)!.callFrame;
    const name = packageOf(frame.url);
    byPackage.set(name, (byPackage.get(name) ?? 0) + time);
    const fn = `${frame.functionName || '(anonymous)'} ${name}:${frame.lineNumber}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + time);
  }
  // Inclusive: the share of samples whose stack holds the package anywhere (a package calling back into node
  // core, or into another package, is charged for it).
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  const inclusiveFunctions = new Map<string, number>();
  for (const [id, time] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
      seen.add(packageOf(byId.get(at)!.callFrame.url));
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + time);
    const functions = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      functions.add(
        `${frame.functionName || '(anonymous)'} ${packageOf(frame.url)}:${frame.lineNumber}`,
      );
    }
    for (const name of functions)
      inclusiveFunctions.set(name, (inclusiveFunctions.get(name) ?? 0) + time);
  }
  const top = (map: Map<string, number>, count: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, time]) => `${((100 * time) / total).toFixed(1).padStart(5)}%  ${name}`);
  console.log(
    `profile: ${path.join(folder, file)}\n\nself time by package:\n${top(byPackage, 25).join('\n')}\n\ninclusive time by package (stack holds it):\n${top(inclusive, 20).join('\n')}\n\nself time by function:\n${top(byFunction, 40).join('\n')}\n\ninclusive time by function:\n${top(inclusiveFunctions, 60).join('\n')}`,
  );
}

void main();
