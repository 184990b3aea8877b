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
  /** `--compare REF`: the gateway built from REF, loaded as target `base` in the same rounds. */
  readonly compare?: { readonly ref: string; readonly label: string };
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

/** One target's summary in one scenario (upstream latency, connections). */
export function scenarioOf(
  results: BenchResults,
  target: string,
  latencyMs: number,
  connections: number,
): Summary | undefined {
  const loads = results.loads.filter(
    (load) =>
      load.target === target && load.latencyMs === latencyMs && load.connections === connections,
  );
  return loads.length > 0 ? summarize(loads) : undefined;
}

function scenarios(results: BenchResults): Array<[number, number]> {
  return [...new Set(results.loads.map((load) => `${load.latencyMs}|${load.connections}`))].map(
    (key) => key.split('|').map(Number) as [number, number],
  );
}

/** The Markdown tables of one run, with the machine they ran on. */
export function renderReport(results: BenchResults): string {
  const lines = [
    `Run ${results.date} (${results.mode}) on ${results.machine.cores} cores (${results.machine.cpu}), Node ${results.machine.node}, ${results.machine.platform}; gateway log level \`${String(results.settings.gatewayLogLevel)}\`.`,
    '',
    '| upstream | conns | req/s: gateway / typical Apollo / bare | gateway ÷ bare | gateway ÷ Apollo | p50 / p99 ms: gateway; Apollo; bare | CPU µs/req: gateway / Apollo / bare | CPU gateway ÷ Apollo | CPU gateway ÷ bare | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  let addedLatency: number | undefined;
  for (const [latencyMs, connections] of scenarios(results)) {
    const of = (target: string) => scenarioOf(results, target, latencyMs, connections)!;
    const [gateway, apollo, bare] = [of('gateway'), of('apollo'), of('bare')];
    if (connections === 1 && latencyMs === 0) addedLatency = gateway.p50 - bare.p50;
    lines.push(
      `| ${latencyMs} ms | ${connections} | ${fixed(gateway.rps)} / ${fixed(apollo.rps)} / ${fixed(bare.rps)} | ${fixed(gateway.rps / bare.rps, 2)}× | ${fixed(gateway.rps / apollo.rps, 2)}× | ${gateway.p50} / ${gateway.p99}; ${apollo.p50} / ${apollo.p99}; ${bare.p50} / ${bare.p99} | ${fixed(gateway.cpuUs)} / ${fixed(apollo.cpuUs)} / ${fixed(bare.cpuUs)} | ${fixed(gateway.cpuUs / apollo.cpuUs, 2)}× | ${fixed(gateway.cpuUs / bare.cpuUs, 2)}× | ${gateway.errors + apollo.errors + bare.errors} |`,
    );
  }
  const spread = roundSpread(results, 64);
  if (spread) lines.push('', spread);
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
    '',
    renderGoals(results),
  );
  if (results.compare) lines.push('', renderComparison(results, results.compare.label));
  return lines.join('\n');
}

/**
 * How far one round's gateway ÷ bare moves at `connections` (each gateway round against the bare round of the same
 * A B C turn): the run's ratio is the total of its rounds, and this says how much a round alone could be trusted.
 */
function roundSpread(results: BenchResults, connections: number): string | null {
  const parts: string[] = [];
  for (const latencyMs of [...new Set(results.loads.map((load) => load.latencyMs))]) {
    const rounds = (target: string) =>
      results.loads.filter(
        (load) =>
          load.target === target &&
          load.latencyMs === latencyMs &&
          load.connections === connections,
      );
    const [gateway, bare] = [rounds('gateway'), rounds('bare')];
    const ratios = gateway
      .map((load, index) => {
        const other = bare[index];
        return other && other.requests > 0
          ? load.requests / load.seconds / (other.requests / other.seconds)
          : NaN;
      })
      .filter(Number.isFinite);
    if (ratios.length < 2) continue;
    parts.push(
      `${latencyMs} ms: median ${fixed(median(ratios), 2)}× (${fixed(Math.min(...ratios), 2)}–${fixed(Math.max(...ratios), 2)}×, ${ratios.length} rounds)`,
    );
  }
  if (parts.length === 0) return null;
  return `Gateway ÷ bare round by round at c=${connections}: ${parts.join('; ')}.`;
}

/**
 * Replaces a generated part of BENCHMARKS.md (between its markers: `bench` for the load run, `bench-quota` for the
 * quota scenario), keeping the written findings.
 */
export function writeBenchmarksMd(
  file: string,
  report: string,
  section: 'bench' | 'bench-quota' | 'bench-quota-intune' = 'bench',
): void {
  const [START, END] = [`<!-- ${section}:start -->`, `<!-- ${section}:end -->`];
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

interface Goal {
  readonly goal: string;
  readonly target: string;
  /** undefined: the scenario was not part of this run. */
  readonly value: (results: BenchResults) => number | undefined;
  readonly show: (value: number) => string;
  readonly met: (value: number) => boolean;
}

const ratio = (value: number) => `${fixed(value, 2)}×`;

/** A ratio of two targets in one scenario, from `pick` (throughput or CPU per request). */
function between(
  a: string,
  b: string,
  latencyMs: number,
  connections: number,
  pick: (summary: Summary) => number,
): (results: BenchResults) => number | undefined {
  return (results) => {
    const [x, y] = [a, b].map((target) => scenarioOf(results, target, latencyMs, connections));
    return x && y ? pick(x) / pick(y) : undefined;
  };
}

const rps = (summary: Summary) => summary.rps;
const cpu = (summary: Summary) => summary.cpuUs;

/** The goals of issue 13 (performance), read from this run. */
const GOALS: readonly Goal[] = [
  {
    goal: 'c=64, 0 ms: throughput ÷ typical Apollo build',
    target: '≥ 1.2× (stretch 1.5×)',
    value: between('gateway', 'apollo', 0, 64, rps),
    show: ratio,
    met: (value) => value >= 1.2,
  },
  {
    goal: 'c=64, 0 ms: throughput ÷ bare',
    target: '≥ 0.35×',
    value: between('gateway', 'bare', 0, 64, rps),
    show: ratio,
    met: (value) => value >= 0.35,
  },
  {
    goal: 'c=64, 0 ms: CPU per request ÷ typical Apollo build',
    target: '≤ 1×',
    value: between('gateway', 'apollo', 0, 64, cpu),
    show: ratio,
    met: (value) => value <= 1,
  },
  {
    goal: 'c=64, 0 ms: CPU per request ÷ bare',
    target: '≤ 3×',
    value: between('gateway', 'bare', 0, 64, cpu),
    show: ratio,
    met: (value) => value <= 3,
  },
  {
    goal: 'c=64, 20 ms: throughput ÷ bare',
    target: '≥ 0.55×',
    value: between('gateway', 'bare', 20, 64, rps),
    show: ratio,
    met: (value) => value >= 0.55,
  },
  {
    goal: 'c=1, 0 ms: added p50 (gateway − bare)',
    target: '≤ 1 ms',
    value: (results) => {
      const [gateway, bare] = ['gateway', 'bare'].map((t) => scenarioOf(results, t, 0, 1));
      return gateway && bare ? gateway.p50 - bare.p50 : undefined;
    },
    show: (value) => `${fixed(value, 2)} ms`,
    met: (value) => value <= 1,
  },
  {
    goal: '100 statuses read: upstream calls',
    target: '≤ 5',
    value: (results) => results.batches.find((batch) => batch.count === 100)?.upstreamCalls,
    show: (value) => String(value),
    met: (value) => value <= 5,
  },
  {
    goal: 'gateway RSS after the load',
    target: '≤ 200 MB',
    value: (results) => results.memory.rssAfterLoadMb,
    show: (value) => `${value} MB`,
    met: (value) => value <= 200,
  },
  {
    goal: 'failed answers under load (all targets)',
    target: '0',
    value: (results) => results.loads.reduce((sum, load) => sum + load.errors, 0),
    show: (value) => String(value),
    met: (value) => value === 0,
  },
];

/** Each goal with this run's value and whether it is met. */
export function renderGoals(results: BenchResults): string {
  const rows = GOALS.map((goal) => {
    const value = goal.value(results);
    if (value === undefined || !Number.isFinite(value))
      return `| ${goal.goal} | ${goal.target} | not measured in this run | – |`;
    return `| ${goal.goal} | ${goal.target} | ${goal.show(value)} | ${goal.met(value) ? 'met' : '**not met**'} |`;
  });
  return ['| goal | target | this run | verdict |', '| --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}

const change = (now: number, before: number) =>
  `${now >= before ? '+' : '−'}${fixed((Math.abs(now - before) / before) * 100, 1)}%`;

/** `--compare REF`: this working tree's gateway against the one built from REF, from the same rounds. */
export function renderComparison(results: BenchResults, label: string): string {
  const lines = [
    `Compared with ${label}, built and loaded in the same alternating rounds:`,
    '',
    `| upstream | conns | req/s: this / ${label} | change | CPU µs/req: this / ${label} | change | p50 / p99 ms: this; ${label} | errors |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [latencyMs, connections] of scenarios(results)) {
    const now = scenarioOf(results, 'gateway', latencyMs, connections);
    const base = scenarioOf(results, 'base', latencyMs, connections);
    if (!now || !base) continue;
    lines.push(
      `| ${latencyMs} ms | ${connections} | ${fixed(now.rps)} / ${fixed(base.rps)} | ${change(now.rps, base.rps)} | ${fixed(now.cpuUs)} / ${fixed(base.cpuUs)} | ${change(now.cpuUs, base.cpuUs)} | ${now.p50} / ${now.p99}; ${base.p50} / ${base.p99} | ${now.errors + base.errors} |`,
    );
  }
  return lines.join('\n');
}
