/**
 * The upstream stand-in for benchmarks: a lean Graph look-alike with a set latency, so that the gateway and the
 * bare forwarder are measured against the same thing and the emulator's own bookkeeping stays out of the figures.
 * `POST /__control {"latencyMs": 20}` sets the latency and resets the counters; `GET /__stats` reads them.
 */
import http from 'node:http';

let latencyMs = 0;
let requests = 0;
let batches = 0;
// Calls per Authorization header, so a measurement counts only its own calls, not a previous load's stragglers.
const byToken = new Map<string, number>();

const userStatus = (id: string) => ({
  '@odata.type': '#microsoft.graph.deviceConfigurationUserStatus',
  id,
  userDisplayName: 'Adele Vance',
  userPrincipalName: 'AdeleV@contoso.onmicrosoft.com',
  devicesCount: 2,
  status: 'notApplicable',
  lastReportedDateTime: '2017-01-01T00:00:17.7769392-08:00',
});

function lastSegment(url: string): string {
  return decodeURIComponent(url.split('?')[0]?.split('/').pop() ?? '');
}

function answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const url = req.url ?? '/';
  if (url === '/__stats')
    return void res.end(
      JSON.stringify({ requests, batches, latencyMs, byToken: Object.fromEntries(byToken) }),
    );
  if (url === '/__control') {
    latencyMs = Number((JSON.parse(body || '{}') as { latencyMs?: number }).latencyMs ?? 0);
    requests = 0;
    batches = 0;
    byToken.clear();
    return void res.end('{}');
  }
  requests += 1;
  const token = req.headers.authorization ?? '';
  byToken.set(token, (byToken.get(token) ?? 0) + 1);
  let payload: unknown;
  if (url.endsWith('/$batch')) {
    batches += 1;
    const { requests: items } = JSON.parse(body) as {
      requests: Array<{ id: string; url: string }>;
    };
    payload = {
      responses: items.map((item) => ({
        id: item.id,
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: userStatus(lastSegment(item.url)),
      })),
    };
  } else payload = userStatus(lastSegment(url));
  const text = JSON.stringify(payload);
  const send = () =>
    res
      .writeHead(200, {
        'content-type': 'application/json',
        'request-id': '9f4c3a1e-2b7d-4c8e-a1f0-3d5b6c7e8f90',
        'content-length': Buffer.byteLength(text),
      })
      .end(text);
  if (latencyMs > 0) setTimeout(send, latencyMs);
  else send();
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`,
  );
});
