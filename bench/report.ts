import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface LoadResult {
  readonly target: string;
  readonly connections: number;
  readonly latencyMs: number;
  readonly requests: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuMsPerRequest: number;
  readonly errors: number;
}

export interface BatchResult {
  readonly count: number;
  readonly upstreamCalls: number;
  readonly gatewayMs: number;
  readonly restCalls: number;
  readonly restMs: number;
}

export interface BenchResults {
  readonly date: string;
  readonly mode: string;
  readonly machine: { cores: number; cpu: string; node: string; platform: string };
  readonly settings: Record<string, unknown>;
  readonly loads: readonly LoadResult[];
  readonly batches: readonly BatchResult[];
  readonly memory: { rssIdleMb: number; rssAfterLoadMb: number };
}

interface Summary {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuUs: number;
  readonly errors: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** All rounds of one target in one scenario: total throughput, median percentiles, CPU per request. */
export function summarize(loads: readonly LoadResult[]): Summary {
  const requests = loads.reduce((sum, load) => sum + load.requests, 0);
  const seconds = loads.reduce((sum, load) => sum + load.seconds, 0);
  const cpuMs = loads.reduce((sum, load) => sum + load.cpuMsPerRequest * load.requests, 0);
  return {
    rps: seconds > 0 ? requests / seconds : 0,
    p50: median(loads.map((load) => load.p50)),
    p99: median(loads.map((load) => load.p99)),
    cpuUs: requests > 0 ? (cpuMs / requests) * 1000 : 0,
    errors: loads.reduce((sum, load) => sum + load.errors, 0),
  };
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);

/** The Markdown tables of one run, with the machine they ran on. */
export function renderReport(results: BenchResults): string {
  const lines = [
    `Run ${results.date} (${results.mode}) on ${results.machine.cores} cores (${results.machine.cpu}), Node ${results.machine.node}, ${results.machine.platform}; gateway log level \`${String(results.settings.gatewayLogLevel)}\`.`,
    '',
    '| upstream | conns | req/s: gateway / typical Apollo / bare | gateway ÷ bare | gateway ÷ Apollo | p50 / p99 ms: gateway; Apollo; bare | CPU µs/req: gateway / Apollo / bare | CPU gateway ÷ bare | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const scenarios = [
    ...new Set(results.loads.map((load) => `${load.latencyMs}|${load.connections}`)),
  ];
  let addedLatency: number | undefined;
  for (const scenario of scenarios) {
    const [latencyMs, connections] = scenario.split('|').map(Number) as [number, number];
    const of = (target: string) =>
      summarize(
        results.loads.filter(
          (load) =>
            load.target === target &&
            load.latencyMs === latencyMs &&
            load.connections === connections,
        ),
      );
    const [gateway, apollo, bare] = [of('gateway'), of('apollo'), of('bare')];
    if (connections === 1 && latencyMs === 0) addedLatency = gateway.p50 - bare.p50;
    lines.push(
      `| ${latencyMs} ms | ${connections} | ${fixed(gateway.rps)} / ${fixed(apollo.rps)} / ${fixed(bare.rps)} | ${fixed(gateway.rps / bare.rps, 2)}× | ${fixed(gateway.rps / apollo.rps, 2)}× | ${gateway.p50} / ${gateway.p99}; ${apollo.p50} / ${apollo.p99}; ${bare.p50} / ${bare.p99} | ${fixed(gateway.cpuUs)} / ${fixed(apollo.cpuUs)} / ${fixed(bare.cpuUs)} | ${fixed(gateway.cpuUs / bare.cpuUs, 2)}× | ${gateway.errors + apollo.errors + bare.errors} |`,
    );
  }
  if (addedLatency !== undefined)
    lines.push(
      '',
      `Added latency at concurrency 1, 0 ms upstream: gateway p50 − bare p50 = ${fixed(addedLatency, 2)} ms.`,
    );
  lines.push(
    '',
    '| statuses read | gateway: upstream calls | gateway: wall ms (median of 3) | plain REST GETs (concurrency 4): calls | REST wall ms (median of 3) | speed-up |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.batches.map(
      (batch) =>
        `| ${batch.count} | ${batch.upstreamCalls} | ${fixed(batch.gatewayMs)} | ${batch.restCalls} | ${fixed(batch.restMs)} | ${fixed(batch.restMs / batch.gatewayMs, 1)}× |`,
    ),
    '',
    `Gateway RSS: ${results.memory.rssIdleMb} MB idle, ${results.memory.rssAfterLoadMb} MB after the load.`,
  );
  return lines.join('\n');
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/** Replaces the generated part of BENCHMARKS.md (between its markers), keeping the written findings. */
export function writeBenchmarksMd(file: string, report: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`;
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  const generated = `${START}\n<!-- generated by npm run bench: do not edit by hand -->\n\n${report}\n\n${END}`;
  const next =
    start >= 0 && end > start
      ? text.slice(0, start) + generated + text.slice(end + END.length)
      : `${text.trimEnd()}\n\n${generated}\n`;
  writeFileSync(file, next);
}
