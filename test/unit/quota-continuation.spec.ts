import { createGraphService } from '../../src/graph/client/client';
import { systemClock } from '../../src/graph/client/retry-loop';
import type { HttpOutcome, HttpRequest, HttpTransport } from '../../src/graph/http/transport';
import { createQuotaPacer } from '../../src/graph/quota';
import type { QuotaTake } from '../../src/graph/quota';
import { CLIENT_LIMITS, unsignedBearer } from '../helpers/quota';
import { updateUserStatuses, updateUserStatus, userStatusPath } from '../../src/graph';
import type { UserStatusLocation } from '../../src/graph';

/**
 * The read-back of an update Graph answered 204 No Content is a continuation: its take goes ahead of the calls
 * waiting in its tenant's queue (`QuotaTake.continuation`, the order itself in quota-fifo.spec.ts). What reaches the
 * pacer, through the whole Graph client, for a single update and a bulk one; and nothing else is a continuation.
 */
const AUTHORIZATION = unsignedBearer({
  tid: '11111111-1111-4111-8111-111111111111',
  appid: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
});
const at = (userStatusId: string): UserStatusLocation => ({
  path: 'DEVICE_CONFIGURATION',
  deviceConfigurationId: 'c',
  userStatusId,
});
const STATUS = (id: string) => JSON.stringify({ id, status: 'compliant' });

/** PATCH → 204, GET → the object (or, `emptyReads`, 200 with no body), `$batch` → each item so. */
function answer(request: HttpRequest, emptyReads = false): HttpOutcome {
  if (request.method === 'PATCH') return { ok: true, status: 204, headers: {}, body: '' };
  if (request.method === 'GET') {
    const id = request.url.pathname.split('/').pop()!;
    return { ok: true, status: 200, headers: {}, body: STATUS(id) };
  }
  const { requests } = JSON.parse(request.body!) as {
    requests: Array<{ id: string; method: string; url: string }>;
  };
  const responses = requests.map(({ id, method, url }) =>
    method === 'PATCH' || emptyReads
      ? { id, status: method === 'PATCH' ? 204 : 200 }
      : { id, status: 200, body: JSON.parse(STATUS(url.split('/').pop()!)) as object },
  );
  return { ok: true, status: 200, headers: {}, body: JSON.stringify({ responses }) };
}

function graph(emptyReads = false) {
  const takes: string[] = [];
  const pacer = createQuotaPacer({ limits: CLIENT_LIMITS, random: () => 0 });
  const take = pacer.take.bind(pacer);
  pacer.take = (request: QuotaTake) => {
    takes.push(`${request.kind}${request.continuation ? ' continuation' : ''}`);
    return take(request);
  };
  const transport: HttpTransport = {
    send: (request: HttpRequest) => Promise.resolve(answer(request, emptyReads)),
    close: () => Promise.resolve(),
  };
  const service = createGraphService({
    baseUrl: 'https://graph.microsoft.com/beta',
    timeoutMs: 10_000,
    userAgent: 'test',
    retry: { maxRetries: 0, maxDelayMs: 1_000, baseDelayMs: 100 },
    transport,
    clock: systemClock,
    quota: pacer,
  });
  const client = service.client({
    authorization: AUTHORIZATION,
    clientRequestId: 'c',
    deadline: Date.now() + 5_000,
  });
  return { takes, client, close: () => service.close() };
}

describe('the read-back of a 204 is a continuation for the quota', () => {
  it('a single update: the PATCH takes in turn, its GET as a continuation', async () => {
    const { takes, client, close } = graph();
    const written = await updateUserStatus(client, at('s1'), { status: 'compliant' });
    expect(written.userStatus.id).toBe('s1');
    expect(takes).toEqual(['write', 'read continuation']);
    await close();
  });

  it('a bulk update: the PATCH batch in turn, the batched GETs as continuations', async () => {
    const { takes, client, close } = graph();
    const updates = ['s1', 's2', 's3'].map((id) => ({
      location: at(id),
      path: userStatusPath(at(id)),
      changes: { status: 'compliant' as const },
    }));
    const outcomes = await updateUserStatuses(client, updates);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true]);
    // Two PATCH takes: the token is not proven yet, and its tenant's gate lets 2 writes (5 % of 40) wait at once.
    expect(takes).toEqual(['write', 'write', 'read continuation']);
    await close();
  });

  it('a read on its own is no continuation', async () => {
    const { takes, client, close } = graph();
    await client.request({ method: 'GET', ...userStatusPath(at('s1')) });
    expect(takes).toEqual(['read']);
    await close();
  });
});

describe('a bulk read-back Graph answers with nothing the gateway can use', () => {
  it('each applied item is READ_BACK_FAILED (the write applied), not UPSTREAM_ERROR', async () => {
    const { client, close } = graph(true);
    const updates = ['s1', 's2'].map((id) => ({
      location: at(id),
      path: userStatusPath(at(id)),
      changes: { status: 'compliant' as const },
    }));
    const outcomes = await updateUserStatuses(client, updates);
    // Before: the read's own malformed error, as if the update had failed (the review of 2026-12-06).
    expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.kind))).toEqual([
      'unread',
      'unread',
    ]);
    const [first] = outcomes;
    expect(first?.ok === false && first.error.status).toBe(204);
    await close();
  });
});
