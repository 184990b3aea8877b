import type http from 'node:http';
import { gzipSync } from 'node:zlib';
import { createGraphService } from '../../src/graph/client/client';
import { isGraphError } from '../../src/graph/errors';
import { createHttpTransport } from '../../src/graph/http/transport';
import type { HttpOutcome, HttpRequest, HttpTransport } from '../../src/graph/http/transport';
import { startTestServer } from '../helpers/upstreamServer';
import type { RecordedRequest, TestServer } from '../helpers/upstreamServer';
import { operationScope } from '../helpers/operation';

/**
 * Compressed answers (docs/egress-proxy.md, "Compression"): the gateway asks Graph for gzip and inflates it in
 * the HTTP module, with GRAPH_MAX_RESPONSE_BYTES on the inflated body too. The transport against a recording
 * `node:http` server, as in http-transport.spec.ts.
 */
const TOKEN = 'Bearer eyJ0eXAi.compression-test-token';
const MAX_BYTES = 1024;

type Respond = (request: RecordedRequest, response: http.ServerResponse) => void;

let respond: Respond;
let server: TestServer;
let transport: HttpTransport;

beforeAll(async () => {
  server = await startTestServer((request, response) => respond(request, response));
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  transport = createHttpTransport({ maxResponseBytes: MAX_BYTES });
});
afterEach(() => transport.close());

function request(path: string, overrides: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: 'GET',
    url: new URL(path, server.origin),
    headers: { Authorization: TOKEN, 'Accept-Encoding': 'gzip' },
    timeoutMs: 2000,
    watcher: operationScope(),
    ...overrides,
  };
}

/** Answers `body` gzipped, with the given Content-Encoding, in two writes (the inflater gets it in pieces). */
function gzipped(body: string | Buffer, encoding = 'gzip', status = 200): Respond {
  const bytes = gzipSync(body);
  return (_request, response) => {
    response.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Encoding': encoding,
      'Content-Length': bytes.length,
      'Request-Id': 'r-1',
    });
    response.write(bytes.subarray(0, 10));
    response.end(bytes.subarray(10));
  };
}

function failure(outcome: HttpOutcome) {
  if (outcome.ok) throw new Error(`expected a failure, got ${outcome.status}`);
  expect(outcome.reason).not.toContain('eyJ0eXAi');
  return { failure: outcome.failure, sent: outcome.sent, reason: outcome.reason };
}

const CORRUPT = 'the answer is marked gzip but does not decompress (corrupt or cut off)';

describe('gzip answers', () => {
  it('are inflated: the exact body, reported as an uncompressed answer would be', async () => {
    const body = JSON.stringify({ value: [{ id: 'é-1', name: 'x'.repeat(300) }] });
    respond = gzipped(body);
    const outcome = await transport.send(request('/beta/list'));

    expect(outcome).toMatchObject({ ok: true, status: 200, body });
    // The coding and the compressed length described the bytes on the wire, not the body reported.
    expect(outcome.ok && outcome.headers).toMatchObject({
      'content-type': 'application/json',
      'request-id': 'r-1',
    });
    expect(outcome.ok && outcome.headers).not.toHaveProperty('content-encoding');
    expect(outcome.ok && outcome.headers).not.toHaveProperty('content-length');
  });

  it.each(['GZIP', 'x-gzip', 'X-GZip', ' gzip '])('Content-Encoding %j is gzip', async (name) => {
    respond = gzipped('{"id":"a"}', name);
    expect(await transport.send(request('/beta/a'))).toMatchObject({
      ok: true,
      body: '{"id":"a"}',
    });
  });

  it('identity, or no Content-Encoding, leaves the body as it is', async () => {
    respond = (request, response) => {
      if (request.url.endsWith('identity')) response.setHeader('Content-Encoding', 'identity');
      response.end('{"plain":true}');
    };
    for (const path of ['/beta/identity', '/beta/none'])
      expect(await transport.send(request(path))).toMatchObject({
        ok: true,
        body: '{"plain":true}',
      });
  });

  it('an empty body marked gzip (a 204) is empty, not broken', async () => {
    respond = (_request, response) => response.writeHead(204, { 'Content-Encoding': 'gzip' }).end();
    expect(await transport.send(request('/beta/a'))).toMatchObject({
      ok: true,
      status: 204,
      body: '',
    });
  });

  it('a large list in many pieces arrives whole (the inflater paces the connection)', async () => {
    transport = createHttpTransport({ maxResponseBytes: 5 * 1024 * 1024 });
    const items = Array.from({ length: 12_000 }, (_, i) => ({ id: `user-${i}`, n: i * 7919 }));
    const body = JSON.stringify({ value: items });
    const bytes = gzipSync(body);
    respond = (_request, response) => {
      response.writeHead(200, { 'Content-Encoding': 'gzip' });
      for (let at = 0; at < bytes.length; at += 4096) response.write(bytes.subarray(at, at + 4096));
      response.end();
    };
    const outcome = await transport.send(request('/beta/list'));
    expect(outcome.ok && outcome.body.length).toBe(body.length);
    expect(outcome.ok && outcome.body === body).toBe(true);
  });
});

describe('the size cap holds for the inflated body', () => {
  it.each([
    ['exactly the cap passes', MAX_BYTES, true],
    ['one byte more fails', MAX_BYTES + 1, false],
  ])('%s', async (_name, size, whole) => {
    const body = 'x'.repeat(size);
    // Compressed, it is a few dozen bytes: only the inflated size can decide.
    expect(gzipSync(body).length).toBeLessThan(MAX_BYTES / 10);
    respond = gzipped(body);
    const outcome = await transport.send(request('/beta/a'));
    if (whole) expect(outcome).toMatchObject({ ok: true, body });
    else
      expect(failure(outcome)).toEqual({
        failure: 'too-large',
        sent: true,
        reason: `the answer is larger than ${MAX_BYTES} bytes`,
      });
  });

  it('a gzip bomb is refused as soon as it inflates past the cap: connection dropped, memory about the cap', async () => {
    const cap = 2 * 1024 * 1024;
    transport = createHttpTransport({ maxResponseBytes: cap });
    // 1 GiB of zeros as 1024 gzip members of 1 MiB each (a series of members is one gzip body, RFC 1952 §2.2):
    // about 1 MB on the wire, under the cap, built in a millisecond.
    const member = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
    expect(bomb.length).toBeLessThan(cap);
    let socketClosed: Promise<unknown> = Promise.resolve();
    respond = (_request, response) => {
      // Not `once()`: it rejects on the socket's 'error' (ECONNRESET, as the gateway drops it mid-write).
      socketClosed = new Promise((resolve) => response.socket!.on('close', resolve));
      response.writeHead(200, { 'Content-Encoding': 'gzip' });
      response.write(bomb); // and never ends: only the inflated count can stop it
    };
    const before = process.memoryUsage().arrayBuffers;
    const started = Date.now();
    const outcome = await transport.send(request('/beta/bomb', { timeoutMs: 10_000 }));
    const grown = process.memoryUsage().arrayBuffers - before;

    expect(failure(outcome)).toMatchObject({ failure: 'too-large', sent: true });
    expect(Date.now() - started).toBeLessThan(5_000);
    // Inflating it whole would take 1 GiB; what this process holds grew by a few caps at most.
    expect(grown).toBeLessThan(8 * cap);
    await socketClosed;
  });
});

describe('answers that cannot be read', () => {
  it.each([
    ['not gzip at all', () => Buffer.from('{"id":"a"}')],
    ['gzip cut short, the connection closed cleanly', () => gzipSync('{"id":"a"}').subarray(0, 15)],
    ['gzip with trailing garbage', () => Buffer.concat([gzipSync('{}'), Buffer.from('junk')])],
  ])('%s is broken-body', async (_name, bytes) => {
    respond = (_request, response) =>
      response.writeHead(200, { 'Content-Encoding': 'gzip' }).end(bytes());
    expect(failure(await transport.send(request('/beta/a')))).toEqual({
      failure: 'broken-body',
      sent: true,
      reason: CORRUPT,
    });
  });

  it('gzip cut off mid-stream by a reset connection is broken-body', async () => {
    const bytes = gzipSync(JSON.stringify({ value: 'y'.repeat(500) }));
    respond = (_request, response) => {
      response.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': bytes.length });
      response.write(bytes.subarray(0, 20), () => response.socket?.destroy());
    };
    expect(failure(await transport.send(request('/beta/a')))).toEqual({
      failure: 'broken-body',
      sent: true,
      reason: 'the connection broke in the middle of the answer',
    });
  });

  it.each([
    ['br', 'br'],
    ['deflate', 'deflate'],
    ['Compress', 'compress'],
    ['gzip, br', 'gzip, br'],
    ['gzip;evil="x"', 'an unknown coding'],
  ])('Content-Encoding %j fails, naming it, as Graph got the request', async (header, named) => {
    respond = (_request, response) =>
      response.writeHead(200, { 'Content-Encoding': header }).end('\u0000\u0001binary');
    expect(failure(await transport.send(request('/beta/a')))).toEqual({
      failure: 'unsupported-encoding',
      sent: true,
      reason: `the answer is encoded as ${named} (Content-Encoding), which the gateway did not ask for and cannot read`,
    });
  });
});

describe('through the Graph client', () => {
  function client() {
    const service = createGraphService({
      baseUrl: `${server.origin}/beta`,
      timeoutMs: 2000,
      userAgent: 'test',
      retry: { maxRetries: 3, maxDelayMs: 10, baseDelayMs: 1 },
      transport,
    });
    return service.client({
      authorization: TOKEN,
      clientRequestId: 'c-1',
      deadline: Date.now() + 10_000,
    });
  }

  const ITEM = {
    method: 'GET',
    path: '/deviceManagement/deviceConfigurations/c/userStatuses/s',
    variant: 'DEVICE_CONFIGURATION',
    target: 'item',
  } as const;

  it('single calls and $batch ask for gzip, and read gzip answers', async () => {
    const OTHER = { ...ITEM, path: `${ITEM.path}2` };
    respond = (request, response) => {
      const answer = request.url.endsWith('$batch')
        ? {
            responses: (
              JSON.parse(request.body) as { requests: Array<{ id: string }> }
            ).requests.map(({ id }) => ({
              id,
              status: 200,
              headers: {},
              body: { id: `s${id}`, batched: true },
            })),
          }
        : { id: 's' };
      gzipped(JSON.stringify(answer))(request, response);
    };
    const single = await client().request(ITEM);
    const batched = await client().batch([ITEM, OTHER]);

    expect(single.body).toEqual({ id: 's' });
    expect(batched.map((item) => item.ok && item.body)).toEqual([
      { id: expect.any(String) as unknown, batched: true },
      { id: expect.any(String) as unknown, batched: true },
    ]);
    expect(server.requests.map((r) => [r.method, r.url, r.headers['accept-encoding']])).toEqual([
      ['GET', `/beta${ITEM.path}`, 'gzip'],
      ['POST', '/beta/$batch', 'gzip'],
    ]);
  });

  it('an answer in a coding it did not ask for is not retried, and the error names the coding', async () => {
    respond = (_request, response) =>
      response.writeHead(200, { 'Content-Encoding': 'br' }).end('\u0000binary');
    const error: unknown = await client()
      .request(ITEM)
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );

    expect(isGraphError(error) && { kind: error.kind, message: error.message }).toEqual({
      kind: 'malformed',
      message:
        'Microsoft Graph sent an answer the gateway cannot use: the answer is encoded as br (Content-Encoding), which the gateway did not ask for and cannot read.',
    });
    expect(server.requests).toHaveLength(1);
  });
});
