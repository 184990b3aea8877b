/**
 * `npm run bench`: the gateway (built, production mode) against a bare reference forwarder and a typical Apollo
 * build (standalone server + datasource-rest), all in front of the same upstream stand-in, loaded with autocannon in alternating short rounds (A B A B …) so that drift hits both.
 * Writes bench/results/latest.json and the table in BENCHMARKS.md. `-- --quick` takes about a minute; `--smoke`
 * is a few seconds (the test suite runs it; it writes to a temporary folder and runs the gateway from source).
 * `-- --compare REF` (with or without `--quick`) also builds the gateway from a git ref (bench/compare.ts) and
 * loads it as a fourth target in the same rounds; it prints the comparison and writes
 * bench/results/compare-latest.json, leaving BENCHMARKS.md alone. Every run but --compare ends with the quota
 * scenario (bench/quota-scenario.ts: three replicas through a real Redis against the emulator in Intune mode);
 * `-- --quota` runs it alone (`-- --quota --intune-window`: at Intune's own 20 s window, about 2 minutes, in its own part;
 * `-- --quota --late`: a fifth of the writes counted 800 ms late, printed only).
 * It writes bench/results/quota-latest.json (quota-intune-latest.json at Intune's window) and its own part of BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildRef, compareRef } from './compare';
import type { RefBuild } from './compare';
import {
  BENCH_BODY,
  BENCH_TOKEN,
  ROOT,
  benchGatewayEnv,
  loadMutation,
  setUpstreamLatency,
  rssMb,
  startBuiltGateway,
  startScript,
} from './lib';
import type { Child } from './lib';
import { renderQuotaReport } from './quota-report';
import { QUOTA_SCENARIO, runQuotaScenario } from './quota-scenario';
import { renderReport, writeBenchmarksMd } from './report';
import type { BatchResult, BenchResults, LoadResult } from './report';

const mode = process.argv.includes('--smoke')
  ? 'smoke'
  : process.argv.includes('--quick')
    ? 'quick'
    : 'full';
const SETTINGS = {
  full: {
    rounds: 3,
    // The goals are read at c=64, where one 5-s round's gateway ÷ bare moves by ±10–20% on this shared machine:
    // eight rounds there, so that a run's ratio is not one lucky or unlucky round. c=16 has no goal.
    roundsAt: { 16: 2, 64: 8 } as Partial<Record<number, number>>,
    seconds: 5,
    concurrencies: [1, 16, 64],
    latencies: [0, 20],
    batchSizes: [1, 20, 100, 500],
  },
  quick: {
    rounds: 1,
    seconds: 3,
    concurrencies: [1, 16, 64],
    latencies: [0, 20],
    batchSizes: [1, 20, 100, 500],
  },
  smoke: {
    rounds: 1,
    seconds: 0.5,
    warmupSeconds: 0.5,
    concurrencies: [4],
    latencies: [0],
    batchSizes: [1, 20],
  },
}[mode];

/** Rounds at one concurrency: the mode's `rounds`, or more where the goals are read. */
function roundsAt(connections: number): number {
  return ('roundsAt' in SETTINGS ? SETTINGS.roundsAt?.[connections] : undefined) ?? SETTINGS.rounds;
}

const TOKEN = BENCH_TOKEN;
const BODY = BENCH_BODY;

async function startGateway(upstream: string, ref?: RefBuild): Promise<Child> {
  return startBuiltGateway(
    benchGatewayEnv(upstream),
    ref ? { root: ref.root } : { fromSource: mode === 'smoke' },
  );
}

async function upstreamCalls(upstream: string, token: string): Promise<number> {
  const stats = (await (await fetch(`${upstream}/__stats`)).json()) as {
    byToken: Record<string, number>;
  };
  return stats.byToken[token] ?? 0;
}

/** Each target must answer the mutation correctly before it is loaded. */
async function checkAnswers(name: string, url: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: TOKEN },
    body: BODY,
  });
  const text = await response.text();
  if (
    !response.ok ||
    !text.includes('"userStatus"') ||
    !text.includes('2017-01-01T00:00:17.7769392-08:00')
  )
    throw new Error(
      `${name} did not answer the mutation correctly: ${response.status} ${text.slice(0, 200)}`,
    );
}

async function load(
  name: string,
  child: Child,
  connections: number,
  latencyMs: number,
  seconds = SETTINGS.seconds,
): Promise<LoadResult> {
  const { result, cpuMs: cpu } = await loadMutation(child, connections, seconds);
  const requests = result.requests.total;
  return {
    target: name,
    connections,
    latencyMs,
    requests,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMsPerRequest: requests > 0 ? cpu / requests : 0,
    errors: result.errors + result.non2xx,
  };
}

function readQuery(count: number): string {
  const fields = Array.from(
    { length: count },
    (_, i) =>
      `a${i}:deviceConfigurationUserStatus(deviceConfigurationId:$c,userStatusId:"u-${i}"){id status}`,
  );
  return `query R($c:ID!){${fields.join(' ')}}`;
}

/** Median of three timings of `run`, each after resetting the stand-in (the first one also warms the document cache). */
async function medianOfThree(upstream: string, run: () => Promise<void>): Promise<number> {
  const timings: number[] = [];
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await setUpstreamLatency(upstream, 20);
    const started = performance.now();
    await run();
    timings.push(performance.now() - started);
  }
  return timings.sort((a, b) => a - b)[1]!;
}

/** One GraphQL document reading N statuses through the gateway, against N plain GETs at concurrency 4. */
async function batching(gateway: Child, upstream: string, count: number): Promise<BatchResult> {
  const token = `Bearer batching-${count}`;
  const body = JSON.stringify({ query: readQuery(count), variables: { c: 'c-1' } });
  const gatewayMs = await medianOfThree(upstream, async () => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: token },
      body,
    });
    const result = (await response.json()) as {
      data?: Record<string, unknown>;
      errors?: unknown[];
    };
    if (result.errors || Object.keys(result.data ?? {}).length !== count)
      throw new Error(`batch read of ${count} failed: ${JSON.stringify(result).slice(0, 300)}`);
  });
  const upstreamCallsPerRead = await upstreamCalls(upstream, token);
  const restMs = await medianOfThree(upstream, async () => {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < count; i = next++)
        await (
          await fetch(
            `${upstream}/beta/deviceManagement/deviceConfigurations/c-1/userStatuses/u-${i}`,
            {
              headers: { authorization: TOKEN },
            },
          )
        ).text();
    };
    await Promise.all(Array.from({ length: Math.min(4, count) }, worker));
  });
  return { count, upstreamCalls: upstreamCallsPerRead, gatewayMs, restCalls: count, restMs };
}

async function run(ref: string | null, refBuild: RefBuild | null): Promise<void> {
  const upstream = await startScript('upstream.ts', {});
  const bare = await startScript('bare.ts', { UPSTREAM_URL: `${upstream.url}/beta` });
  const apollo = await startScript('apollo-typical.ts', { UPSTREAM_URL: `${upstream.url}/beta` });
  const gateway = await startGateway(upstream.url);
  const base = refBuild ? await startGateway(upstream.url, refBuild) : null;
  const children = [upstream, bare, apollo, gateway, ...(base ? [base] : [])];
  const targets: Array<[string, Child]> = [
    ['gateway', gateway],
    ...(base ? [['base', base] as [string, Child]] : []),
    ['bare', bare],
    ['apollo', apollo],
  ];
  try {
    for (const [name, child] of targets) await checkAnswers(name, child.url);
    const rssIdle = rssMb(gateway.process.pid!);
    // Warm-up (not recorded): the JIT must have seen the hot path before anything is measured.
    for (const [name, child] of targets) await load(name, child, 16, 0, SETTINGS.warmupSeconds);
    const loads: LoadResult[] = [];
    for (const latencyMs of SETTINGS.latencies) {
      await setUpstreamLatency(upstream.url, latencyMs);
      for (const connections of SETTINGS.concurrencies)
        for (let round = 0; round < roundsAt(connections); round += 1) {
          for (const [name, child] of targets)
            loads.push(await load(name, child, connections, latencyMs));
          process.stderr.write('.');
        }
    }
    process.stderr.write('\n');
    const rssAfterLoad = rssMb(gateway.process.pid!);
    const batches: BatchResult[] = [];
    for (const count of SETTINGS.batchSizes)
      batches.push(await batching(gateway, upstream.url, count));
    const results: BenchResults = {
      date: new Date().toISOString(),
      mode,
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
      },
      settings: { ...SETTINGS, gatewayLogLevel: process.env.BENCH_LOG_LEVEL ?? 'info' },
      loads,
      batches,
      memory: { rssIdleMb: rssIdle, rssAfterLoadMb: rssAfterLoad },
      ...(ref && refBuild ? { compare: { ref, label: refBuild.label } } : {}),
    };
    const report = withQuotaCosts(renderReport(results));
    console.log(report);
    const folder =
      mode === 'smoke'
        ? mkdtempSync(path.join(os.tmpdir(), 'bench-'))
        : path.join(__dirname, 'results');
    mkdirSync(folder, { recursive: true });
    const file = path.join(folder, refBuild ? 'compare-latest.json' : 'latest.json');
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    if (mode !== 'smoke' && !refBuild) writeBenchmarksMd(path.join(ROOT, 'BENCHMARKS.md'), report);
    else console.log(`${mode} results: ${file}`);
  } finally {
    for (const child of children) child.process.kill('SIGTERM');
  }
}

/**
 * Quota pacing's own cost (quotas off, in-process, and through a real Redis), from bench/quota-micro.ts in a
 * process of its own, appended to a full or quick run's report; the smoke run and --compare skip it.
 */
function withQuotaCosts(report: string): string {
  if (mode === 'smoke' || compareRef(process.argv)) return report;
  const output = execFileSync(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(__dirname, 'quota-micro.ts')],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return `${report}\n\nQuota pacing alone (bench/quota-micro.ts):\n\n\`\`\`\n${output.trim()}\n\`\`\`\n`;
}

/** The quota scenario, printed; a full or quick run also writes it into BENCHMARKS.md (its own part). */
async function quotaScenario(): Promise<void> {
  const intune = process.argv.includes('--intune-window');
  const base = intune ? QUOTA_SCENARIO.intune : QUOTA_SCENARIO[mode];
  // `--late`: a fifth of the writes counted 800 ms after they reach the emulator; printed only, BENCHMARKS.md keeps
  // the plain run.
  const late = process.argv.includes('--late');
  const settings = late ? { ...base, late: { share: 0.2, delayMs: 800 } } : base;
  const result = await runQuotaScenario(settings, mode === 'smoke');
  const report = renderQuotaReport(result, new Date().toISOString());
  console.log(`\nQuota scenario (bench/quota-scenario.ts):\n\n${report}`);
  const folder =
    mode === 'smoke'
      ? mkdtempSync(path.join(os.tmpdir(), 'bench-quota-'))
      : path.join(__dirname, 'results');
  mkdirSync(folder, { recursive: true });
  const name = late
    ? 'quota-late-latest.json'
    : intune
      ? 'quota-intune-latest.json'
      : 'quota-latest.json';
  const file = path.join(folder, name);
  writeFileSync(file, `${JSON.stringify({ mode, ...result }, null, 2)}\n`);
  const section = intune ? 'bench-quota-intune' : 'bench-quota';
  if (mode !== 'smoke' && !late)
    writeBenchmarksMd(path.join(ROOT, 'BENCHMARKS.md'), report, section);
  else console.log(`${late ? 'late' : 'smoke'} quota results: ${file}`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--quota')) return quotaScenario();
  const ref = compareRef(process.argv);
  const refBuild = ref ? buildRef(ref) : null;
  try {
    await run(ref, refBuild);
  } finally {
    refBuild?.remove();
  }
  if (!ref) await quotaScenario();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
