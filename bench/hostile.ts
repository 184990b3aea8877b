/**
 * `npm run bench:hostile`: what a refused document costs the gateway, and whether one client sending 50 KB hostile
 * documents or 900 KB hostile JSON bodies (bench/hostile-documents.ts) without a token slows everyone else down. The gateway runs built, in
 * production mode, as its own process; Graph is never called (no token, and every document is refused or answered
 * UNAUTHENTICATED), so GRAPH_BASE_URL points at a closed port.
 *
 * 1. Cost per document: each document sent 800 times over 8 connections (each JSON body 80 times: a build without
 *    the nesting bound spends about 300 ms on the deepest); the gateway's CPU time (/proc) per request.
 * 2. Load: 8 connections send the documents in turn for `--seconds` (default 20) while one client asks `/healthz`
 *    again and again, one request at a time; its latencies are the goal of issue #22: p50 ≤ 50 ms, p95 ≤ 250 ms.
 *    Then the same with the JSON bodies in turn.
 *    The same load with `{ __typename }` (answered, not refused) and `/healthz` alone are measured for comparison.
 *
 * `-- --compare REF` runs the same against a build of REF (bench/compare.ts), one after the other. Results go to
 * bench/results/hostile-latest.json; the tables are printed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { buildRef, compareRef } from './compare';
import { HOSTILE_BODIES, HOSTILE_DOCUMENTS, NORMAL_DOCUMENTS } from './hostile-documents';
import { ROOT, argument, cpuMs, startBuiltGateway } from './lib';
import type { StartedGateway } from './lib';

const SECONDS = argument('seconds', 20);
const CONNECTIONS = 8;
const RUNS_PER_DOCUMENT = 800;
const RUNS_PER_BODY = 80;
const GOALS = { p50Ms: 50, p95Ms: 250 };

interface DocumentCost {
  readonly name: string;
  readonly status: number;
  readonly cpuMsPerRequest: number;
}

interface LoadResult {
  readonly name: string;
  readonly requestsPerSecond: number;
  readonly cpuMsPerRequest: number | null;
  readonly statuses: Readonly<Record<string, number>>;
  readonly health: {
    readonly count: number;
    readonly p50: number;
    readonly p95: number;
    readonly max: number;
  };
}

const HEADERS = { 'content-type': 'application/json' };

/** What is sent: each document as `{ query }`, each JSON body as it is. */
interface Sent {
  readonly name: string;
  readonly body: string;
  readonly runs: number;
}

const DOCUMENTS: readonly Sent[] = [...NORMAL_DOCUMENTS, ...HOSTILE_DOCUMENTS].map(
  ({ name, query }) => ({ name, body: JSON.stringify({ query }), runs: RUNS_PER_DOCUMENT }),
);
const BODIES: readonly Sent[] = HOSTILE_BODIES.map(({ name, body }) => ({
  name,
  body,
  runs: RUNS_PER_BODY,
}));
const HOSTILE_SENT = DOCUMENTS.slice(NORMAL_DOCUMENTS.length);

async function post(url: string, body: string): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers: HEADERS, body });
  await response.arrayBuffer();
  return response.status;
}

/**
 * The gateway's CPU per request for one body: `runs` requests over 8 connections (the gateway busy, as under load),
 * after a warm-up.
 */
async function documentCost(gateway: StartedGateway, { name, body, runs }: Sent) {
  const options = {
    url: gateway.url,
    connections: CONNECTIONS,
    method: 'POST' as const,
    headers: HEADERS,
    body,
  };
  const status = await post(gateway.url, body);
  await autocannon({ ...options, amount: Math.max(CONNECTIONS, runs / 16) });
  const before = cpuMs(gateway.process.pid!);
  await autocannon({ ...options, amount: runs });
  const cpuMsPerRequest = (cpuMs(gateway.process.pid!) - before) / runs;
  return { name, status, cpuMsPerRequest };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

/** `/healthz`, one request at a time, until `until` resolves: the latencies in ms, sorted. */
async function pollHealth(origin: string, until: Promise<unknown>) {
  let running = true;
  void until.then(() => (running = false));
  const latencies: number[] = [];
  while (running) {
    const started = performance.now();
    const response = await fetch(`${origin}/healthz`);
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: latencies.at(-1) ?? NaN,
  };
}

/** 8 connections sending `bodies` in turn for SECONDS, `/healthz` polled meanwhile. */
async function load(gateway: StartedGateway, name: string, bodies: readonly string[]) {
  const origin = gateway.url.replace(/\/graphql$/, '');
  const before = cpuMs(gateway.process.pid!);
  const statuses: Record<string, number> = {};
  let finish: (result: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve) => (finish = resolve));
  const instance = autocannon(
    {
      url: gateway.url,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: bodies.map((body) => ({ method: 'POST', headers: HEADERS, body })),
    },
    (error, result) => {
      if (error) throw error;
      finish(result);
    },
  );
  instance.on('response', (_client, statusCode) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  });
  const health = await pollHealth(origin, done);
  const result = await done;
  const spent = cpuMs(gateway.process.pid!) - before;
  return {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    cpuMsPerRequest: result.requests.total > 0 ? spent / result.requests.total : null,
    statuses,
    health,
  };
}

/** `/healthz` alone, for SECONDS / 4. */
async function idle(gateway: StartedGateway): Promise<LoadResult> {
  const origin = gateway.url.replace(/\/graphql$/, '');
  const until = new Promise((resolve) => setTimeout(resolve, (SECONDS * 1000) / 4));
  const health = await pollHealth(origin, until);
  return {
    name: '/healthz alone',
    requestsPerSecond: 0,
    cpuMsPerRequest: null,
    statuses: {},
    health,
  };
}

async function measure(label: string, root?: string) {
  const gateway = await startBuiltGateway(
    { GRAPH_BASE_URL: 'http://127.0.0.1:9/beta', LOG_LEVEL: 'info' },
    root ? { root } : {},
  );
  try {
    // Warm-up (not recorded): every document's path through the gateway runs optimised before anything is measured.
    await autocannon({
      url: gateway.url,
      connections: CONNECTIONS,
      duration: 3,
      requests: [...DOCUMENTS, ...BODIES].map(({ body }) => ({
        method: 'POST',
        headers: HEADERS,
        body,
      })),
    });
    const costs: DocumentCost[] = [];
    for (const sent of [...DOCUMENTS, ...BODIES]) costs.push(await documentCost(gateway, sent));
    const loads: LoadResult[] = [await idle(gateway)];
    loads.push(await load(gateway, '8 connections, { __typename }', [DOCUMENTS[0]!.body]));
    loads.push(
      await load(
        gateway,
        `8 connections, ${HOSTILE_SENT.length} hostile documents in turn`,
        HOSTILE_SENT.map(({ body }) => body),
      ),
    );
    loads.push(
      await load(
        gateway,
        `8 connections, ${BODIES.length} hostile JSON bodies in turn`,
        BODIES.map(({ body }) => body),
      ),
    );
    return { label, costs, loads };
  } finally {
    await gateway.stop();
  }
}

type Measured = Awaited<ReturnType<typeof measure>>;

function print({ label, costs, loads }: Measured): void {
  console.log(
    `\n## ${label}\n\n| document | status | gateway CPU per request |\n| --- | --- | --- |`,
  );
  for (const cost of costs)
    console.log(`| ${cost.name} | ${cost.status} | ${cost.cpuMsPerRequest.toFixed(2)} ms |`);
  console.log(
    '\n| load | req/s | CPU per request | /healthz p50 | p95 | max | polls | answers |\n| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const row of loads) {
    const cpu = row.cpuMsPerRequest === null ? '' : `${row.cpuMsPerRequest.toFixed(2)} ms`;
    const { p50, p95, max, count } = row.health;
    console.log(
      `| ${row.name} | ${row.requestsPerSecond || ''} | ${cpu} | ${p50.toFixed(1)} ms | ${p95.toFixed(1)} ms | ${max.toFixed(1)} ms | ${count} | ${JSON.stringify(row.statuses)} |`,
    );
  }
  for (const { name, health } of loads.slice(-2)) {
    const met = health.p50 <= GOALS.p50Ms && health.p95 <= GOALS.p95Ms;
    console.log(
      `\n/healthz under ${name}: p50 ${health.p50.toFixed(1)} ms (goal ≤ ${GOALS.p50Ms}), p95 ${health.p95.toFixed(1)} ms (goal ≤ ${GOALS.p95Ms}): ${met ? 'met' : 'NOT met'}`,
    );
  }
}

async function main(): Promise<void> {
  const results: Measured[] = [await measure('this tree')];
  print(results[0]!);
  const ref = compareRef(process.argv);
  if (ref) {
    const build = buildRef(ref);
    try {
      results.push(await measure(build.label, build.root));
      print(results[1]!);
    } finally {
      build.remove();
    }
  }
  const folder = path.join(ROOT, 'bench', 'results');
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    path.join(folder, 'hostile-latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, results }, null, 2)}\n`,
  );
}

void main();
