import { once } from 'node:events';
import type http from 'node:http';
import { createHttpTransport } from '../../src/graph/http/transport';
import type { HttpOutcome, HttpRequest, HttpTransport } from '../../src/graph/http/transport';
import { startTestServer } from '../helpers/upstreamServer';
import type { RecordedRequest, TestServer } from '../helpers/upstreamServer';
import { operationScope } from '../helpers/operation';

const TOKEN = 'Bearer eyJ0eXAi.transport-test-token';
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
  respond = (_request, response) => response.end('{}');
  transport = createHttpTransport({ maxResponseBytes: MAX_BYTES });
});
afterEach(() => transport.close());

function request(path: string, overrides: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: 'GET',
    url: new URL(path, server.origin),
    headers: { Authorization: TOKEN, Accept: 'application/json' },
    timeoutMs: 2000,
    watcher: operationScope(),
    ...overrides,
  };
}

/** A failure's reason never carries the token. */
function failure(outcome: HttpOutcome) {
  if (outcome.ok) throw new Error(`expected a failure, got ${outcome.status}`);
  expect(outcome.reason).not.toContain('eyJ0eXAi');
  return { failure: outcome.failure, sent: outcome.sent };
}

/** Resolves when the server has received `count` requests. */
async function received(count: number): Promise<void> {
  while (server.requests.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('what is sent and what comes back', () => {
  it('sends method, path, query, headers and body; gives status, lower-case headers (repeats joined) and text', async () => {
    respond = (_request, response) => {
      response.setHeader('Request-Id', 'r-1');
      response.setHeader('X-Many', ['a', 'b']);
      response.writeHead(201, { 'Content-Type': 'application/json' }).end('{"id":"é"}');
    };
    const outcome = await transport.send(
      request('/beta/things?$top=2', {
        method: 'PATCH',
        headers: { Authorization: TOKEN, 'Content-Type': 'application/json' },
        body: '{"status":"compliant"}',
      }),
    );

    expect(outcome).toMatchObject({ ok: true, status: 201, body: '{"id":"é"}' });
    expect(outcome.ok && outcome.headers).toMatchObject({
      'request-id': 'r-1',
      'x-many': 'a, b',
      'content-type': 'application/json',
    });
    expect(server.requests).toEqual([
      expect.objectContaining({
        method: 'PATCH',
        url: '/beta/things?$top=2',
        body: '{"status":"compliant"}',
        headers: expect.objectContaining({
          authorization: TOKEN,
          'content-type': 'application/json',
        }) as unknown,
      }),
    ]);
  });

  it('never follows a redirect: the 3xx comes back as it is, and its target is never called', async () => {
    const elsewhere = await startTestServer((_request, response) => response.end('{}'));
    respond = (_request, response) =>
      response.writeHead(302, { Location: `${elsewhere.origin}/steal` }).end();
    const outcome = await transport.send(request('/beta/a'));
    await elsewhere.close();

    expect(outcome).toMatchObject({ ok: true, status: 302 });
    expect(outcome.ok && outcome.headers.location).toBe(`${elsewhere.origin}/steal`);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('says how long the answer took from its first byte: the quota counts a call from then, not from its end', async () => {
    // Headers after 300 ms, then the body in pieces over 600 ms more.
    respond = (_request, response) => {
      setTimeout(() => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.flushHeaders();
        response.write('{"value":[');
        setTimeout(() => response.write('1,'), 300);
        setTimeout(() => response.end('2]}'), 600);
      }, 300);
    };
    const sent = Date.now();
    const outcome = await transport.send(request('/beta/slow-body'));
    const took = Date.now() - sent;
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.body).toBe('{"value":[1,2]}');
    expect(outcome.answeringMs).toBeGreaterThanOrEqual(590);
    // The 300 ms before the first byte are not in it.
    expect(took - outcome.answeringMs!).toBeGreaterThanOrEqual(290);
  });

  it('an answer of exactly the cap is whole', async () => {
    respond = (_request, response) => response.end('x'.repeat(MAX_BYTES));
    const outcome = await transport.send(request('/beta/a'));
    expect(outcome.ok && outcome.body.length).toBe(MAX_BYTES);
  });

  it.each([
    ['announced by Content-Length', true],
    ['streamed without a length', false],
  ])('an answer larger than the cap, %s, is too-large', async (_name, announced) => {
    respond = (_request, response) => {
      if (announced) response.setHeader('Content-Length', MAX_BYTES * 4);
      else response.write('x'.repeat(MAX_BYTES));
      response.end('x'.repeat(MAX_BYTES * 3));
    };
    const outcome = await transport.send(request('/beta/a'));
    expect(failure(outcome)).toEqual({ failure: 'too-large', sent: true });
  });
});

describe('broken connections', () => {
  it('a connection reset in the middle of the body is broken-body', async () => {
    respond = (_request, response) => {
      response.writeHead(200, { 'Content-Length': 100 });
      response.write('{"partial":', () => response.socket?.destroy());
    };
    const outcome = await transport.send(request('/beta/a'));
    expect(failure(outcome)).toEqual({ failure: 'broken-body', sent: true });
  });

  it('a connection closed before any answer is connection, and may have reached Graph', async () => {
    respond = (_request, response) => response.socket?.destroy();
    const outcome = await transport.send(request('/beta/a'));
    expect(failure(outcome)).toEqual({ failure: 'connection', sent: true });
  });

  it('a refused connection is connection, not sent, with a clear reason', async () => {
    const closed = await startTestServer(() => undefined);
    await closed.close();
    const outcome = await transport.send({ ...request('/beta/a'), url: new URL(closed.origin) });
    expect(failure(outcome)).toEqual({ failure: 'connection', sent: false });
    expect(!outcome.ok && outcome.reason).toBe(
      'Microsoft Graph could not be reached (connection refused)',
    );
  });
});

describe('time budget and cancellation', () => {
  it('no answer within the attempt budget is timeout, and the budget is kept', async () => {
    respond = () => undefined; // never answers
    const started = Date.now();
    const outcome = await transport.send(request('/beta/a', { timeoutMs: 100 }));
    // Far below the operation's own 60 s deadline: the attempt's budget, not the operation's, ended it.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(failure(outcome)).toEqual({ failure: 'timeout', sent: true });
    expect(!outcome.ok && outcome.reason).toBe('no complete answer within 100 ms');
  });

  it('a body that stalls after the headers is timeout too', async () => {
    respond = (_request, response) => {
      response.writeHead(200, { 'Content-Length': 100 });
      response.write('{"slow":');
    };
    const outcome = await transport.send(request('/beta/a', { timeoutMs: 100 }));
    expect(failure(outcome)).toEqual({ failure: 'timeout', sent: true });
  });

  it('an operation already ended sends nothing', async () => {
    const operation = operationScope();
    operation.end();
    const outcome = await transport.send(request('/beta/a', { watcher: operation }));
    expect(failure(outcome)).toEqual({ failure: 'cancelled', sent: false });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.requests).toHaveLength(0);
  });

  it('ending the operation during the call ends it at once and closes the connection', async () => {
    respond = () => undefined;
    const operation = operationScope();
    const pending = transport.send(request('/beta/a', { watcher: operation }));
    await received(1);
    const [socket] = [...server.sockets].slice(-1);
    const closed = once(socket!, 'close');
    operation.end();
    expect(failure(await pending)).toEqual({ failure: 'cancelled', sent: true });
    await closed;
  });

  it('ending the operation of a call still queued for a connection sends nothing', async () => {
    transport = createHttpTransport({ maxResponseBytes: MAX_BYTES, maxConnections: 1 });
    const held: http.ServerResponse[] = [];
    respond = (_request, response) => held.push(response);
    const first = transport.send(request('/beta/first'));
    await received(1);
    const operation = operationScope();
    const queued = transport.send(request('/beta/queued', { watcher: operation }));
    operation.end();
    expect(failure(await queued)).toEqual({ failure: 'cancelled', sent: false });
    held[0]!.end('{}');
    expect(await first).toMatchObject({ ok: true, status: 200 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.requests.map((r) => r.url)).toEqual(['/beta/first']);
  });

  it("one operation's end cancels all its calls in flight", async () => {
    respond = () => undefined;
    const operation = operationScope();
    const calls = Array.from({ length: 15 }, (_, i) =>
      transport.send(request(`/beta/${i}`, { watcher: operation })),
    );
    await received(15);
    operation.end();
    const outcomes = await Promise.all(calls);

    expect(outcomes.map(failure)).toEqual(
      Array.from({ length: 15 }, () => ({ failure: 'cancelled', sent: true })),
    );
  });
});

describe('connections', () => {
  it('keeps connections alive: ten calls in a row reuse one socket, or two back to back', async () => {
    const before = server.sockets.size;
    for (let i = 0; i < 10; i += 1) {
      expect(await transport.send(request(`/beta/${i}`))).toMatchObject({ ok: true });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(server.sockets.size - before).toBe(1);
    // Without a pause, undici waits one event-loop turn before reusing a socket (it guards against servers that
    // close despite keep-alive), so a call sent at once takes a second socket; the two then alternate.
    for (let i = 0; i < 10; i += 1)
      expect(await transport.send(request(`/beta/${i}`))).toMatchObject({ ok: true });
    expect(server.sockets.size - before).toBeLessThanOrEqual(2);
  });

  it('opens at most maxConnections per origin, and every queued call still completes', async () => {
    transport = createHttpTransport({ maxResponseBytes: MAX_BYTES, maxConnections: 2 });
    const before = server.sockets.size;
    const held: http.ServerResponse[] = [];
    respond = (_request, response) => {
      held.push(response);
      setTimeout(() => response.end('{}'), 20);
    };
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => transport.send(request(`/beta/${i}`))),
    );
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(server.requests).toHaveLength(6);
    expect(server.sockets.size - before).toBeLessThanOrEqual(2);
  });

  it('after close, a call fails as not sent instead of throwing', async () => {
    await transport.close();
    const outcome = await transport.send(request('/beta/a'));
    expect(failure(outcome)).toEqual({ failure: 'connection', sent: false });
    expect(!outcome.ok && outcome.reason).toBe('the request was not sent: the transport is closed');
  });

  it('a header undici refuses (a line break in it) fails as not sent; nothing reaches the server', async () => {
    const outcome = await transport.send(
      request('/beta/a', { headers: { Authorization: TOKEN, 'x-evil': 'a\r\nInjected: yes' } }),
    );
    expect(failure(outcome)).toEqual({ failure: 'connection', sent: false });
    expect(!outcome.ok && outcome.reason).toBe(
      'the request was not sent: it is not a valid HTTP request',
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.requests).toHaveLength(0);
  });
});
