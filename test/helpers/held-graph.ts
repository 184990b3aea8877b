import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stand-in received, in arrival order: a read, or a `$batch` of reads. */
export interface HeldRequest {
  /** The user status ids it reads (a `$batch`: one per item). */
  readonly ids: readonly string[];
  readonly batch: boolean;
  readonly authorization: string;
}

export interface HeldGraph {
  /** Graph's root on the stand-in: `http://127.0.0.1:<port>/beta`. */
  readonly baseUrl: string;
  /** Every request received, when it arrived (before its answer). */
  readonly received: HeldRequest[];
  /** Requests received and not answered yet. */
  readonly held: () => number;
  /** The most requests it held at once. */
  readonly mostHeld: () => number;
  /** Answers every held request, and from now on every request at once. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A recording Graph stand-in on a free loopback port for the tenant cap's tests. It reads user statuses, one per
 * request or in a `$batch`, accepts only the tokens it is given (any other gets 401, as Graph answers a forged
 * token) and holds every request that reads a user status id starting with `slow-` (accepted or not: the worst
 * case, a forger's call that holds its connection) until `release()`. Held is what slow means here, so that the
 * tests assert an order, not a time.
 */
export async function startHeldGraph(accepted: ReadonlySet<string>): Promise<HeldGraph> {
  const received: HeldRequest[] = [];
  const hold = createHold();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const authorization = req.headers.authorization ?? '';
      const batch = (req.url ?? '').startsWith('/beta/$batch');
      const items = batch ? batchItems(Buffer.concat(chunks).toString('utf8')) : [];
      const ids = batch ? items.map((item) => idOf(item.url)) : [idOf(req.url ?? '')];
      received.push({ ids, batch, authorization });
      const ok = accepted.has(authorization);
      const slow = ids.some((id) => id.startsWith('slow-'));
      hold.answer(slow, () => answerRequest(res, { ok, batch, items, ids }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/beta`,
    received,
    held: hold.held,
    mostHeld: hold.mostHeld,
    release: hold.release,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Hold {
  readonly held: () => number;
  readonly mostHeld: () => number;
  /** Answers now, or, a slow request before `release()`, when it comes. */
  readonly answer: (slow: boolean, answer: () => void) => void;
  readonly release: () => void;
}

function createHold(): Hold {
  let waiting: Array<() => void> = [];
  let released = false;
  let held = 0;
  let mostHeld = 0;
  return {
    held: () => held,
    mostHeld: () => mostHeld,
    answer: (slow, answer) => {
      if (released || !slow) return answer();
      held += 1;
      mostHeld = Math.max(mostHeld, held);
      waiting.push(() => {
        held -= 1;
        answer();
      });
    },
    release: () => {
      released = true;
      const answers = waiting;
      waiting = [];
      for (const answer of answers) answer();
    },
  };
}

interface BatchItem {
  readonly id: string;
  readonly url: string;
}

/** A `$batch` answers 200 with each item's answer; a single read, 200 or 401 (a token it does not accept). */
function answerRequest(
  res: http.ServerResponse,
  request: { ok: boolean; batch: boolean; items: BatchItem[]; ids: string[] },
): void {
  const { ok, batch, items, ids } = request;
  const body = batch
    ? { responses: items.map((item) => ({ id: item.id, ...itemAnswer(ok, idOf(item.url)) })) }
    : ok
      ? userStatus(ids[0]!)
      : unauthorised();
  res.writeHead(ok || batch ? 200 : 401, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const idOf = (url: string) => /\/userStatuses\/([^/?]+)/.exec(url)?.[1] ?? '';

function batchItems(body: string): BatchItem[] {
  return (JSON.parse(body) as { requests: BatchItem[] }).requests;
}

function itemAnswer(ok: boolean, id: string) {
  return ok ? { status: 200, body: userStatus(id) } : { status: 401, body: unauthorised() };
}

function userStatus(id: string) {
  return {
    '@odata.type': '#microsoft.graph.deviceConfigurationUserStatus',
    id,
    userDisplayName: 'User',
    devicesCount: 1,
    status: 'compliant',
    lastReportedDateTime: '2026-12-01T10:00:00Z',
    userPrincipalName: 'user@contoso.example',
  };
}

function unauthorised() {
  return {
    error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' },
  };
}
