/**
 * `npm run bench:client`: CPU per upstream call of the HTTP client alone, against the upstream stand-in with 20
 * calls in flight: plain `node:http`, the gateway's axios instance, and the gateway's Graph client (axios plus
 * timeouts, retries, events). BENCHMARKS.md quotes it for the cost of axios.
 */
import http from 'node:http';
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { createGraphService } from '../src/graph/client';
import { createHttpTransport } from '../src/graph/http';
(async () => {
  const upstream = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(__dirname, 'upstream.ts')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) =>
    readline
      .createInterface({ input: upstream.stdout! })
      .once('line', (line) => resolve(JSON.parse(line).port)),
  );
  const base = `http://127.0.0.1:${port}/beta`;
  const transport = createHttpTransport({ maxResponseBytes: 5e6 });
  const service = createGraphService({
    baseUrl: base,
    timeoutMs: 10000,
    userAgent: 'x',
    retry: { maxRetries: 3, maxDelayMs: 30000, baseDelayMs: 3000 },
    transport,
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const raw = () =>
    new Promise<void>((resolve, reject) => {
      const body = '{"status":"notApplicable"}';
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/beta/deviceManagement/deviceConfigurations/c/userStatuses/s',
          method: 'PATCH',
          agent,
          headers: {
            authorization: 'Bearer x',
            'content-type': 'application/json',
            'content-length': body.length,
          },
        },
        (res) => {
          const c: Buffer[] = [];
          res.on('data', (d) => c.push(d));
          res.on('end', () => {
            JSON.parse(Buffer.concat(c).toString());
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const viaClient = () =>
    service
      .client({
        authorization: 'Bearer x',
        clientRequestId: 'abc',
        deadline: Date.now() + 30000,
      })
      .request({
        method: 'PATCH',
        variant: 'DEVICE_CONFIGURATION',
        target: 'item',
        path: '/deviceManagement/deviceConfigurations/c/userStatuses/s',
        body: { status: 'notApplicable' },
      })
      .then(() => undefined);
  const url = new URL(`${base}/deviceManagement/deviceConfigurations/c/userStatuses/s`);
  const viaAxios = () =>
    transport
      .send({
        method: 'PATCH',
        url,
        headers: { Authorization: 'Bearer x', 'Content-Type': 'application/json' },
        body: '{"status":"notApplicable"}',
        timeoutMs: 10000,
      })
      .then(() => undefined);
  for (const [name, fn] of [
    ['raw http', raw],
    ['http transport', viaAxios],
    ['gateway client', viaClient],
    ['raw http', raw],
    ['http transport', viaAxios],
    ['gateway client', viaClient],
  ] as const) {
    const total = 20000;
    let next = 0;
    const start = process.cpuUsage();
    const t = performance.now();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next++ < total) await fn();
      }),
    );
    const cpu = process.cpuUsage(start);
    console.log(
      `${name.padEnd(16)} ${Math.round((cpu.user + cpu.system) / total)} µs CPU/call, ${Math.round(total / ((performance.now() - t) / 1000))} calls/s`,
    );
  }
  upstream.kill();
  await transport.close();
  agent.destroy();
})();
