/**
 * `npm run bench:client`: CPU per upstream call of the HTTP client alone, against the upstream stand-in with 20
 * calls in flight, in alternating rounds:
 * - `node:http` and `undici.request`, bare (the floor);
 * - axios with its default Node http adapter, configured as the gateway had it (keep-alive agents, no redirects,
 *   size cap, text, identity transforms) with the same per-attempt work (abort controller, timer, headers);
 * - the gateway's transport, `src/graph/http/transport.ts`: axios on an undici adapter (its operation's timer, size cap included);
 * - axios's own per-call work with an adapter that answers at once: `axios.create()` against the trimmed
 *   `new Axios({ adapter })` the transport uses.
 * `-- --calls N` and `-- --rounds N` change the size. BENCHMARKS.md quotes it for the cost of the HTTP layer.
 */
import http from 'node:http';
import axios, { Axios } from 'axios';
import type { AxiosAdapter } from 'axios';
import { Agent, request as undiciRequest } from 'undici';
import { createHttpTransport } from '../src/graph/http/transport';
import { argument, startScript } from './lib';
import { createOperationScope } from '../src/graph/client/operation';
import { systemClock } from '../src/graph/client/retry-loop';

const PATH = '/beta/deviceManagement/deviceConfigurations/c/userStatuses/s';
const BODY = '{"status":"notApplicable"}';
const HEADERS = {
  authorization: 'Bearer x',
  accept: 'application/json',
  'client-request-id': '7b3c1f0e-1a2b-4c5d-8e9f-0a1b2c3d4e5f',
  'user-agent': 'intune-graphql-gateway/bench',
  'content-type': 'application/json',
};

type Call = () => Promise<void>;

function rawHttp(port: number): { call: Call; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const call = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: PATH,
          method: 'PATCH',
          agent,
          headers: { ...HEADERS, 'content-length': BODY.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            JSON.parse(Buffer.concat(chunks).toString());
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(BODY);
    });
  return { call, close: () => agent.destroy() };
}

function undiciAlone(origin: string): { call: Call; close(): Promise<void> } {
  const dispatcher = new Agent({ connections: 256, pipelining: 1 });
  const call = async () => {
    const response = await undiciRequest(`${origin}${PATH}`, {
      method: 'PATCH',
      headers: HEADERS,
      body: BODY,
      dispatcher,
    });
    JSON.parse(await response.body.text());
  };
  return { call, close: () => dispatcher.close() };
}

/** axios on its Node http adapter, as `src/graph/client/client.ts` had it before the undici adapter. */
function axiosHttp(origin: string): { call: Call; close(): void } {
  const options = { keepAlive: true, maxSockets: 256, maxFreeSockets: 64 };
  const httpAgent = new http.Agent(options);
  const instance = axios.create({
    httpAgent,
    maxRedirects: 0,
    maxContentLength: 5e6,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    transformRequest: [(data: unknown) => data],
    validateStatus: () => true,
    proxy: false,
  });
  const call = async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10_000);
    try {
      const response = await instance.request<string>({
        method: 'PATCH',
        url: `${origin}${PATH}`,
        headers: HEADERS,
        data: BODY,
        signal: controller.signal,
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers))
        if (typeof value === 'string') headers[name.toLowerCase()] = value;
      JSON.parse(response.data);
    } finally {
      clearTimeout(timer);
    }
  };
  return { call, close: () => httpAgent.destroy() };
}

function transport(origin: string): { call: Call; close(): Promise<void> } {
  const http = createHttpTransport({ maxResponseBytes: 5e6 });
  const url = new URL(`${origin}${PATH}`);
  const call = async () => {
    // One operation per call, as the gateway has one per GraphQL request: its scope times the attempt.
    const operation = createOperationScope({ deadline: Date.now() + 60_000, clock: systemClock });
    const outcome = await http.send({
      method: 'PATCH',
      url,
      headers: HEADERS,
      body: BODY,
      timeoutMs: 10_000,
      watcher: operation,
    });
    operation.end();
    if (!outcome.ok) throw new Error(outcome.reason);
    JSON.parse(outcome.body);
  };
  return { call, close: () => http.close() };
}

/** axios's pipeline alone: an adapter that answers at once, on a full `axios.create()` or a bare `Axios`. */
function axiosPipeline(trimmed: boolean): Call {
  const adapter: AxiosAdapter = (config) =>
    Promise.resolve({
      data: '{}',
      status: 200,
      statusText: '',
      headers: {},
      config,
      request: null,
    });
  const instance = trimmed
    ? new Axios({ adapter })
    : axios.create({ adapter, transformRequest: [], transformResponse: [] });
  const url = `http://127.0.0.1:1${PATH}`;
  return async () => {
    await instance.request({ method: 'PATCH', url, exchange: null } as object);
  };
}

async function measure(call: Call, total: number): Promise<{ cpuUs: number; perSecond: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next++ < total) await call();
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    cpuUs: (used.user + used.system) / total,
    perSecond: total / ((performance.now() - started) / 1000),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main(): Promise<void> {
  const total = argument('calls', 20_000);
  const rounds = argument('rounds', 3);
  const upstream = await startScript('upstream.ts');
  const port = Number(new URL(upstream.url).port);
  const clients = {
    'node:http': rawHttp(port),
    'undici.request': undiciAlone(upstream.url),
    'axios + http adapter': axiosHttp(upstream.url),
    'axios + undici (transport)': transport(upstream.url),
  };
  const variants: Array<[string, Call]> = [
    ...Object.entries(clients).map(([name, client]): [string, Call] => [name, client.call]),
    ['axios.create() pipeline only', axiosPipeline(false)],
    ['new Axios() pipeline only', axiosPipeline(true)],
  ];
  const results = new Map<string, Array<{ cpuUs: number; perSecond: number }>>();
  for (const [, call] of variants) await measure(call, 2000); // warm-up
  for (let round = 0; round < rounds; round += 1)
    for (const [name, call] of variants)
      results.set(name, [...(results.get(name) ?? []), await measure(call, total)]);
  console.log(`${total} calls × ${rounds} rounds, 20 in flight; median of the rounds (min–max)`);
  for (const [name, runs] of results) {
    const cpu = runs.map((run) => run.cpuUs);
    console.log(
      `${name.padEnd(30)} ${median(cpu).toFixed(0).padStart(4)} µs CPU/call (${Math.min(...cpu).toFixed(0)}–${Math.max(...cpu).toFixed(0)}), ${median(runs.map((run) => run.perSecond)).toFixed(0)} calls/s`,
    );
  }
  upstream.process.kill();
  await Promise.all(
    Object.values(clients).map(async (client) => {
      await client.close(); // some close at once, some return a promise
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
