import net from 'node:net';
import { startGateway } from '../helpers/harness';
import type { Gateway } from '../helpers/harness';

// Small bounds so that the test runs in about a second; the defaults are 10 s and 65 s.
const REQUEST_TIMEOUT_MS = 400;
const KEEP_ALIVE_TIMEOUT_MS = 300;

let gateway: Gateway;
let port: number;
beforeAll(async () => {
  gateway = await startGateway({
    GRAPH_BASE_URL: 'http://127.0.0.1:9/beta', // never called: nothing here reaches GraphQL execution
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
  });
  port = Number(new URL(gateway.url).port);
});
afterAll(() => gateway.close());

interface Closed {
  /** Time from connecting to the server closing the connection. */
  readonly afterMs: number;
  readonly received: string;
}

/** Connects, runs `talk` on the socket, and resolves when the server closes it (or after `giveUpMs`). */
function untilClosed(talk: (socket: net.Socket) => void, giveUpMs = 3000): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const started = performance.now();
    let received = '';
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined); // a reset while dripping counts as closed too
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ afterMs: performance.now() - started, received });
    });
    socket.on('connect', () => talk(socket));
  });
}

describe('slow and idle connections are closed', () => {
  it('a request dripping one header byte every 100 ms is cut with 408 after REQUEST_TIMEOUT_MS', async () => {
    const request = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(200)}`;
    let sent = 0;
    let drip: NodeJS.Timeout | undefined;
    const closed = await untilClosed((socket) => {
      drip = setInterval(() => {
        if (!socket.writable) return;
        socket.write(request.charAt(sent % request.length));
        sent += 1;
      }, 100);
    }).finally(() => clearInterval(drip));
    expect(closed.received).toMatch(/^HTTP\/1\.1 408 /);
    // Node checks for late requests every REQUEST_TIMEOUT_MS / 4.
    expect(closed.afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(closed.afterMs).toBeLessThan(REQUEST_TIMEOUT_MS * 1.25 + 2_000);
    expect(sent).toBeLessThan(20);
  });

  it('a body that never ends is cut the same way', async () => {
    const closed = await untilClosed((socket) => {
      socket.write(
        'POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":',
      );
    });
    expect(closed.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(closed.afterMs).toBeLessThan(REQUEST_TIMEOUT_MS * 1.25 + 2_000);
  });

  it('an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS (+ 1 s)', async () => {
    let answeredAt = 0;
    const started = performance.now();
    const closed = await untilClosed((socket) => {
      socket.once('data', () => (answeredAt = performance.now() - started));
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    });
    expect(closed.received).toMatch(/^HTTP\/1\.1 200 /);
    const idleMs = closed.afterMs - answeredAt;
    // Node keeps the socket 1 s past keepAliveTimeout (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER), so that a client
    // told `Keep-Alive: timeout=…` never sends on a connection the server is closing.
    expect(idleMs).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 50);
    expect(idleMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 1000 + 2_000);
  });

  it('a normal request is still served', async () => {
    const response = await fetch(gateway.url.replace(/\/graphql$/, '/healthz'));
    expect(response.status).toBe(200);
    const { status, body } = await gateway.gql('{ __typename }');
    expect([status, body]).toEqual([200, { data: { __typename: 'Query' } }]);
  });
});
