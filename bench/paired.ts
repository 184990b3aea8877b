/**
 * `npm run bench:paired -- --compare REF [--rounds 30] [--seconds 3] [--connections 64] [--latency 0]`: the
 * working tree's build against REF's, in paired rounds (A B, B A, A B, …, so that drift and order hit both), at
 * one load point. Prints, per round, each build's req/s and CPU µs per request, and the medians of the per-round
 * ratios: on a shared 2-core machine a single round moves by ±10–20%, the median of 30 paired ratios by a few %.
 * `--node-args "…"` adds Node flags to the working tree's gateway only (to measure a runtime flag against REF,
 * which may be HEAD itself); `--env "NAME=value …"` sets its environment the same way (what a setting costs, e.g.
 * `--compare HEAD --env GRAPH_QUOTAS=off`).
 */
import { buildRef, compareRef } from './compare';
import {
  benchGatewayEnv,
  loadMutation,
  setUpstreamLatency,
  startBuiltGateway,
  startScript,
} from './lib';
import type { StartedGateway } from './lib';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const number = (name: string, fallback: number) => Number(option(name) ?? fallback);

interface Round {
  readonly reqPerSecond: number;
  readonly cpuUsPerRequest: number;
  readonly errors: number;
}

async function round(
  gateway: StartedGateway,
  connections: number,
  seconds: number,
): Promise<Round> {
  const { result, cpuMs: cpu } = await loadMutation(gateway, connections, seconds);
  const requests = result.requests.total;
  return {
    reqPerSecond: requests / seconds,
    cpuUsPerRequest: requests > 0 ? (cpu * 1000) / requests : 0,
    errors: result.errors + result.non2xx,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main(): Promise<void> {
  const ref = compareRef(process.argv);
  if (!ref) throw new Error('usage: npm run bench:paired -- --compare REF [--rounds 30]');
  const rounds = number('rounds', 30);
  const seconds = number('seconds', 3);
  const connections = number('connections', 64);
  const latencyMs = number('latency', 0);
  const nodeArgs = option('node-args')?.split(' ').filter(Boolean) ?? [];
  const settings = (option('env')?.split(' ').filter(Boolean) ?? []).map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--env takes NAME=value pairs, got "${pair}"`);
    return [pair.slice(0, at), pair.slice(at + 1)] as const;
  });
  const build = buildRef(ref);
  const upstream = await startScript('upstream.ts');
  await setUpstreamLatency(upstream.url, latencyMs);
  const env = benchGatewayEnv(upstream.url);
  const a = await startBuiltGateway({ ...env, ...Object.fromEntries(settings) }, { nodeArgs });
  const b = await startBuiltGateway(env, { root: build.root });
  try {
    for (const gateway of [a, b, a, b]) await round(gateway, 16, 2); // warm-up, not recorded
    const cpuRatios: number[] = [];
    const rateRatios: number[] = [];
    let errors = 0;
    for (let index = 0; index < rounds; index += 1) {
      const order = index % 2 ? [b, a] : [a, b];
      const [first, second] = [
        await round(order[0]!, connections, seconds),
        await round(order[1]!, connections, seconds),
      ];
      const [tree, base] = index % 2 ? [second, first] : [first, second];
      errors += tree.errors + base.errors;
      cpuRatios.push(tree.cpuUsPerRequest / base.cpuUsPerRequest);
      rateRatios.push(tree.reqPerSecond / base.reqPerSecond);
      console.log(
        `round ${index + 1}: tree ${tree.reqPerSecond.toFixed(0)} req/s ${tree.cpuUsPerRequest.toFixed(0)} µs; ` +
          `${ref} ${base.reqPerSecond.toFixed(0)} req/s ${base.cpuUsPerRequest.toFixed(0)} µs`,
      );
    }
    const percent = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;
    const cheaper = cpuRatios.filter((ratio) => ratio < 1).length;
    console.log(
      `\nworking tree${nodeArgs.length ? ` (node ${nodeArgs.join(' ')})` : ''}` +
        `${settings.length ? ` (${settings.map((pair) => pair.join('=')).join(' ')})` : ''} vs ${build.label}, ` +
        `c=${connections}, ${latencyMs} ms upstream, ${rounds} paired rounds of ${seconds} s:\n` +
        `  CPU per request: ${percent(median(cpuRatios))} (median of per-round ratios; cheaper in ${cheaper} of ${rounds})\n` +
        `  req/s:           ${percent(median(rateRatios))}\n` +
        `  failed answers:  ${errors}`,
    );
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    upstream.process.kill('SIGTERM');
    build.remove();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
