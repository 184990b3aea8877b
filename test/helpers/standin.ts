import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stand-in received. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** What the stand-in answers: status, headers and the raw body text (hostile bodies included). */
export interface Scripted {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface StandIn {
  /** Graph's root on the stand-in, e.g. `http://127.0.0.1:1234/beta`. */
  readonly baseUrl: string;
  readonly received: Received[];
  /** Answers in order; when they run out, `fallback` answers. */
  script(...answers: Array<Scripted | ((request: Received) => Scripted)>): void;
  close(): Promise<void>;
}

/**
 * A recording Graph stand-in on a free loopback port, for answers the emulator would never give (hostile or
 * exact shapes). Every request it receives is kept, so tests assert what Graph was sent.
 */
export async function startStandIn(
  fallback: Scripted = { status: 500, body: '' },
): Promise<StandIn> {
  const received: Received[] = [];
  let queue: Array<Scripted | ((request: Received) => Scripted)> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      const next = queue.shift() ?? fallback;
      const answer = typeof next === 'function' ? next(request) : next;
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        'request-id': `standin-${received.length}`,
        ...answer.headers,
      });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/beta`,
    received,
    script: (...answers) => {
      queue = answers;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A `$batch` answer from the items' bodies: `answer(request)` for each, ids kept. */
export function batchOf(
  answer: (item: { id: string; method: string; url: string }) => Record<string, unknown>,
): (request: Received) => Scripted {
  return (request) => {
    const { requests } = JSON.parse(request.body) as {
      requests: Array<{ id: string; method: string; url: string }>;
    };
    return {
      status: 200,
      body: JSON.stringify({
        responses: requests.map((item) => ({ id: item.id, ...answer(item) })),
      }),
    };
  };
}
