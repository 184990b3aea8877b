import { createGraphService } from '../../src/graph/client/client';
import { createOperationScope, Drain, drainEndsAt } from '../../src/graph/client/operation';
import { systemClock } from '../../src/graph/client/retry-loop';
import { isGraphError } from '../../src/graph/errors';
import type { HttpOutcome, HttpRequest, HttpTransport } from '../../src/graph/http/transport';
import { createHeldTransport } from '../helpers/held-transport';
import { createQuotaPacer } from '../../src/graph/quota';
import type { QuotaLimits } from '../../src/graph/quota';
import type { BatchItem, GraphRequest, ItemOutcome } from '../../src/graph/types';

/**
 * The Graph service's drain (`GraphService.drain`, called when the gateway starts shutting down): every wait of
 * every operation ends at once, and what waited is never sent. The whole client with a real pacer and real lanes,
 * over a stand-in transport that records what reaches Graph, on Jest's fake clock. A quota or place wait ends as
 * THROTTLED (kind `quota`) saying when budget would have freed; a retry's back-off ends with the attempt's error.
 */
const T0 = 80_000;
const WINDOW_MS = 10_000;
/** One read per app and window; a tenant's gate for unproven tokens has one place (5 % of 20, at least 1). */
const TIGHT: QuotaLimits = Object.freeze({
  windowMs: WINDOW_MS,
  appWrites: 1,
  tenantWrites: 20,
  appCalls: 1,
  tenantCalls: 20,
});
const AMPLE: QuotaLimits = Object.freeze({ ...TIGHT, appCalls: 100, tenantCalls: 200 });
const APP = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const TENANT_A = '11111111-1111-4111-8111-111111111111';
const TENANT_B = '22222222-2222-4222-8222-222222222222';
const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A JWT-shaped bearer header claiming `tid` (never verified); `jti` makes distinct tokens and names the caller. */
const bearer = (jti: string, tid = TENANT_A) =>
  `Bearer ${encode({ alg: 'none' })}.${encode({ tid, appid: APP, jti })}.sig`;
const GET: GraphRequest & BatchItem = {
  method: 'GET',
  path: '/deviceManagement/deviceConfigurations/c/userStatuses/s',
  variant: 'DEVICE_CONFIGURATION',
  target: 'item',
};

const okAnswer = (status: number, headers: Record<string, string> = {}): HttpOutcome => ({
  ok: true,
  status,
  headers: { 'request-id': 'r', ...headers },
  body: status < 300 ? JSON.stringify({ id: 's' }) : '{}',
});

/** A `$batch` envelope answering 200 to each of its items. */
function batchAnswer(request: HttpRequest): HttpOutcome {
  const { requests } = JSON.parse(request.body!) as { requests: Array<{ id: string }> };
  const responses = requests.map(({ id }) => ({ id, status: 200, body: { id: 's' } }));
  return { ok: true, status: 200, headers: {}, body: JSON.stringify({ responses }) };
}

interface Setup {
  readonly limits?: QuotaLimits;
  readonly cap?: number;
  readonly retries?: number;
  /** Graph's answer to a plain call of `who`; 200 by default. */
  readonly answers?: (who: string) => HttpOutcome;
}

/**
 * The service; `sent` lists `<who> at <ms from T0>` as each request reached Graph (`×n` for a `$batch` of n).
 * Requests of the callers in `holding` are held until `release(who)`.
 */
function gateway({ limits = TIGHT, cap = 16, retries = 0, answers }: Setup = {}) {
  jest.useFakeTimers({ now: T0 });
  const { transport, sent, holding, answer } = createHeldTransport(T0, (request, who) =>
    request.url.pathname.endsWith('/$batch')
      ? batchAnswer(request)
      : (answers?.(who) ?? okAnswer(200)),
  );
  const service = createGraphService({
    baseUrl: 'https://graph.microsoft.com/beta',
    timeoutMs: 10_000,
    userAgent: 'test',
    retry: { maxRetries: retries, maxDelayMs: 30_000, baseDelayMs: 1_000 },
    transport,
    clock: systemClock,
    quota: createQuotaPacer({ limits, random: () => 0 }),
    tenantCap: { maxInFlight: cap },
  });
  const client = (who: string, tid?: string) =>
    service.client({
      authorization: bearer(who, tid),
      clientRequestId: 'c',
      deadline: Date.now() + 30_000,
    });
  /** One read of `who`, settled to `ok` or its error; pending until its wait or answer ends. */
  const read = (who: string, tid?: string) => settle(client(who, tid).request(GET));
  const release = answer;
  const drainAt = async (ms: number) => {
    await jest.advanceTimersByTimeAsync(ms - (Date.now() - T0));
    service.drain();
    await jest.advanceTimersByTimeAsync(0);
  };
  return { service, client, read, sent, holding, release, drainAt };
}

/** `ok`, or what a caller is told: the error's kind, status and `retryAfterSeconds`, and whether it says drained. */
function describeError(error: unknown) {
  if (!isGraphError(error)) return error;
  return {
    kind: error.kind,
    status: error.status,
    retryAfterSeconds: error.retryAfterSeconds,
    drained: error.message.includes('shutting down'),
  };
}

const settle = (promise: Promise<unknown>) => promise.then(() => 'ok', describeError);

/** Whether a promise is still pending (after the microtasks the fake clock lets run). */
async function pending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  await jest.advanceTimersByTimeAsync(0);
  return (await Promise.race([promise, Promise.resolve(marker)])) === marker;
}

afterEach(() => jest.useRealTimers());

describe('the drain ends every wait at once, and nothing that waited is sent', () => {
  it('a wait in the quota queue: THROTTLED, told when the window frees the budget', async () => {
    const { read, sent, drainAt } = gateway();
    expect(await read('p')).toBe('ok');
    const waiting = read('p');
    expect(await pending(waiting)).toBe(true);
    await drainAt(2_000);
    // The first read's budget frees a window after it: 8 s after the drain.
    expect(await waiting).toEqual({
      kind: 'quota',
      status: null,
      retryAfterSeconds: 8,
      drained: true,
    });
    expect(sent).toEqual(['p at 0']);
  });

  it('a wait out of an unproven token’s 429 hold: THROTTLED, told when the hold ends', async () => {
    const { read, sent, drainAt } = gateway({
      answers: () => okAnswer(429, { 'retry-after': '5' }),
    });
    expect(await read('u')).toMatchObject({ kind: 'status', status: 429 });
    const waiting = read('u');
    expect(await pending(waiting)).toBe(true);
    await drainAt(1_000);
    expect(await waiting).toEqual({
      kind: 'quota',
      status: null,
      retryAfterSeconds: 4,
      drained: true,
    });
    expect(sent).toEqual(['u at 0']);
  });

  it('a wait at the gate for unproven tokens: THROTTLED in a second; the call in flight finishes', async () => {
    const { read, sent, holding, release, drainAt } = gateway();
    holding.add('u1');
    const inFlight = read('u1');
    const waiting = read('u2');
    expect(await pending(waiting)).toBe(true);
    await drainAt(500);
    expect(await waiting).toEqual({
      kind: 'quota',
      status: null,
      retryAfterSeconds: 1,
      drained: true,
    });
    expect(await pending(inFlight)).toBe(true);
    await release('u1');
    expect(await inFlight).toBe('ok');
    expect(sent).toEqual(['u1 at 0']);
  });

  it('a wait for a place in the tenant’s lane: THROTTLED in a second; the calls in flight finish', async () => {
    // A cap of 2: a proven tenant's two calls in flight fill its lane.
    const { read, sent, holding, release, drainAt } = gateway({ limits: AMPLE, cap: 2 });
    expect(await read('p')).toBe('ok');
    holding.add('p');
    const inFlight = [read('p'), read('p')];
    const waiting = read('p');
    expect(await pending(waiting)).toBe(true);
    await drainAt(300);
    expect(await waiting).toEqual({
      kind: 'quota',
      status: null,
      retryAfterSeconds: 1,
      drained: true,
    });
    await release('p');
    expect(await Promise.all(inFlight)).toEqual(['ok', 'ok']);
    expect(sent).toEqual(['p at 0', 'p at 0', 'p at 0']);
  });

  it('a retry’s back-off: the attempt’s own error, and the retry is not sent', async () => {
    const { read, sent, drainAt } = gateway({
      limits: AMPLE,
      retries: 3,
      answers: () => okAnswer(503, { 'retry-after': '5' }),
    });
    const waiting = read('p');
    expect(await pending(waiting)).toBe(true);
    await drainAt(1_000);
    expect(await waiting).toEqual({
      kind: 'status',
      status: 503,
      retryAfterSeconds: 5,
      drained: false,
    });
    expect(sent).toEqual(['p at 0']);
  });

  it('a retry waiting for budget after an answered attempt: that attempt’s error, not "not sent"', async () => {
    // One call per window: the first attempt (503, Retry-After 1 s) takes it, its retry waits for the next window.
    const { read, sent, drainAt } = gateway({
      retries: 3,
      answers: () => okAnswer(503, { 'retry-after': '1' }),
    });
    const waiting = read('p');
    await drainAt(2_000);
    // Before: THROTTLED 'shutting down … not sent', though the PATCH or GET before it had reached Graph.
    expect(await waiting).toEqual({
      kind: 'status',
      status: 503,
      retryAfterSeconds: 1,
      drained: false,
    });
    expect(sent).toEqual(['p at 0']);
  });

  it('a bulk: the items sent keep their answers, each item that waited is THROTTLED', async () => {
    const { client, sent, drainAt } = gateway();
    const outcomes = client('p').batch(
      [GET, GET, GET].map((item, n) => ({ ...item, path: `/s${n}` })),
    );
    expect(await pending(outcomes)).toBe(true);
    await drainAt(1_000);
    const [first, ...rest] = await outcomes;
    expect(first).toMatchObject({ ok: true, status: 200 });
    expect(rest.map((outcome: ItemOutcome) => !outcome.ok && describeError(outcome.error))).toEqual(
      [
        { kind: 'quota', status: null, retryAfterSeconds: 9, drained: true },
        { kind: 'quota', status: null, retryAfterSeconds: 9, drained: true },
      ],
    );
    expect(sent).toEqual(['p ×1 at 0']);
  });
});

describe('after the drain', () => {
  it('a call that needs no wait still goes; one that would wait is refused without waiting', async () => {
    const { read, sent, service } = gateway();
    expect(await read('p')).toBe('ok');
    service.drain();
    expect(await read('other', TENANT_B)).toBe('ok');
    const refused = read('p');
    expect(await pending(refused)).toBe(false);
    expect(await refused).toEqual({
      kind: 'quota',
      status: null,
      retryAfterSeconds: 10,
      drained: true,
    });
    expect(sent).toEqual(['p at 0', 'other at 0']);
  });

  it('an operation that was cancelled still says cancelled, not drained', async () => {
    const { client, sent, read, drainAt } = gateway();
    expect(await read('p')).toBe('ok');
    const graph = client('p');
    const waiting = settle(graph.request(GET));
    expect(await pending(waiting)).toBe(true);
    graph.end();
    await drainAt(1_000);
    expect(await waiting).toMatchObject({ kind: 'cancelled' });
    expect(sent).toEqual(['p at 0']);
  });
});

describe('an operation and the drain', () => {
  it('reads the drain; its signal, once made, aborts with it unless the operation ended first', () => {
    const drain = new Drain();
    const scope = (deadline: number) =>
      createOperationScope({ deadline, clock: systemClock, drain });
    const [idle, waiting, ended] = [scope(1), scope(2), scope(3)];
    const [signal, endedSignal] = [waiting.signal(), ended.signal()];
    ended.end();
    drain.begin();
    // Draining is not stopping: the operation may still send what needs no wait.
    expect([idle.draining, idle.stopped, waiting.stopped]).toEqual([true, null, null]);
    expect([signal.aborted, signal.reason]).toEqual([true, 'draining']);
    expect(endedSignal.reason).toBe('cancelled');
    expect(scope(4).signal().reason).toBe('draining');
  });
});

describe('the drain’s end cuts every operation’s deadline', () => {
  /**
   * A Graph that never answers, but for `/proof` (200, which proves the token): each attempt ends only when its
   * operation's timer expires it (a timeout, sent) or cancels it. `sent` lists the paths that reached it.
   */
  function silentGraph(limits?: QuotaLimits, timeoutMs = 30_000) {
    const sent: string[] = [];
    const transport: HttpTransport = {
      send: (request) =>
        new Promise<HttpOutcome>((resolve) => {
          sent.push(`${request.url.pathname.split('/').pop()!} at ${Date.now() - T0}`);
          if (request.url.pathname.endsWith('/proof')) return resolve(okAnswer(200));
          const end = (reason: string) =>
            resolve({ ok: false, failure: 'timeout', sent: true, reason });
          const attempt = {
            expiresAt: 0,
            expire: () => end('timed out'),
            cancel: () => end('cancelled'),
          };
          if (!request.watcher.track(attempt, request.timeoutMs)) end('over');
        }),
      close: () => Promise.resolve(),
    };
    jest.useFakeTimers({ now: T0 });
    const service = createGraphService({
      baseUrl: 'https://graph.microsoft.com/beta',
      timeoutMs,
      userAgent: 'test',
      retry: { maxRetries: 0, maxDelayMs: 30_000, baseDelayMs: 1_000 },
      transport,
      clock: systemClock,
      ...(limits ? { quota: createQuotaPacer({ limits, random: () => 0 }) } : {}),
    });
    const client = () =>
      service.client({ authorization: bearer('p'), clientRequestId: 'c', deadline: T0 + 30_000 });
    return { service, client, sent };
  }

  it.each([
    [10_000, 9_000],
    [2_000, 1_600],
    [500, 400],
    [0, 0],
  ])('a shutdown timeout of %i ms ends the drain %i ms after it began', (timeoutMs, endsAfter) => {
    expect(drainEndsAt(T0, timeoutMs) - T0).toBe(endsAfter);
  });

  it('an attempt Graph has not answered ends at the drain’s end, saying Graph may have applied it', async () => {
    const { service, client, sent } = silentGraph();
    const call = settle(client().request(GET));
    await jest.advanceTimersByTimeAsync(1_000);
    service.drain(Date.now() + 4_000);
    await jest.advanceTimersByTimeAsync(3_999);
    expect(await pending(call)).toBe(true);
    await jest.advanceTimersByTimeAsync(1);
    expect(await call).toEqual({
      kind: 'timeout',
      status: null,
      retryAfterSeconds: undefined,
      drained: false,
    });
    const error = await client()
      .request(GET)
      .catch((caught: unknown) => caught);
    expect(sent).toEqual(['s at 0']);
    // A later operation's deadline is past already: nothing is sent, and it says the gateway is shutting down.
    expect(describeError(error)).toEqual({
      kind: 'quota',
      status: null,
      retryAfterSeconds: 1,
      drained: true,
    });
  });

  it('the message of an attempt cut at the drain’s end says so; one that outlived its own limit does not', async () => {
    const { service, client } = silentGraph();
    const cut = client()
      .request(GET)
      .then(() => new Error('answered'))
      .catch((caught: unknown) => caught as Error);
    service.drain(Date.now() + 2_000);
    await jest.advanceTimersByTimeAsync(2_000);
    expect((await cut).message).toBe(
      'This gateway shut down before Microsoft Graph answered; the call may have been applied.',
    );
  });

  it('a bulk: every chunk in flight at the drain’s end times out', async () => {
    const { service, client, sent } = silentGraph();
    // 25 reads: two chunks at once (20 and 5), both in flight when the drain ends.
    const items = Array.from({ length: 25 }, (_, n) => ({ ...GET, path: `/s${n}` }));
    const outcomes = client().batch(items);
    await jest.advanceTimersByTimeAsync(100);
    service.drain(Date.now() + 1_000);
    await jest.advanceTimersByTimeAsync(1_000);
    const kinds = (await outcomes).map((outcome) => (outcome.ok ? 'ok' : outcome.error.kind));
    expect(new Set(kinds)).toEqual(new Set(['timeout']));
    expect(sent).toEqual(['$batch at 0', '$batch at 0']);
  });

  it('a paced bulk write: chunks in flight time out, the chunk that had not gone is THROTTLED and not sent', async () => {
    const { service, client, sent } = silentGraph({ ...AMPLE, appWrites: 100, tenantWrites: 200 });
    // A proven token: its writes go past the gate for unproven tokens (5 % of the budget) straight to the budget.
    await client().request({ ...GET, path: '/proof' });
    // 50 writes: two chunks of 20 at once (paced writes), the third waits for one of them.
    const items = Array.from({ length: 50 }, (_, n) => ({
      ...GET,
      method: 'PATCH' as const,
      path: `/s${n}`,
      body: {},
    }));
    const outcomes = client().batch(items);
    await jest.advanceTimersByTimeAsync(100);
    service.drain(Date.now() + 1_000);
    await jest.advanceTimersByTimeAsync(1_000);
    const described = (await outcomes).map((outcome) =>
      outcome.ok ? 'ok' : JSON.stringify(describeError(outcome.error)),
    );
    const timedOut = { kind: 'timeout', status: null, drained: false };
    const notSent = { kind: 'quota', status: null, retryAfterSeconds: 1, drained: true };
    expect(described).toEqual([
      ...Array.from({ length: 40 }, () => JSON.stringify(timedOut)),
      ...Array.from({ length: 10 }, () => JSON.stringify(notSent)),
    ]);
    expect(sent).toEqual(['proof at 0', '$batch at 0', '$batch at 0']);
  });

  it('an operation whose attempts all ended before the drain’s end still stops at it: nothing is sent after', async () => {
    // Attempts time out after 1 s: the operation's timer serves the first one's expiry, before the drain's end.
    const { service, client, sent } = silentGraph(undefined, 1_000);
    const graph = client();
    const first = settle(graph.request(GET));
    await jest.advanceTimersByTimeAsync(500);
    service.drain(Date.now() + 2_000);
    await jest.advanceTimersByTimeAsync(500);
    expect(await first).toMatchObject({ kind: 'timeout' });
    // Nothing of the operation is in flight now; past the drain's end, its next call is not sent.
    await jest.advanceTimersByTimeAsync(2_000);
    const late = await settle(graph.request(GET));
    expect(late).toEqual({ kind: 'quota', status: null, retryAfterSeconds: 1, drained: true });
    expect(sent).toEqual(['s at 0']);
  });

  it('an operation that ended before the drain is not cut again, and one made after it starts cut', async () => {
    const { service, client, sent } = silentGraph();
    const ended = client();
    const early = settle(ended.request(GET));
    ended.end();
    expect(await early).toMatchObject({ kind: 'cancelled' });
    service.drain(Date.now() + 5_000);
    const late = settle(client().request(GET));
    await jest.advanceTimersByTimeAsync(5_000);
    expect(await late).toMatchObject({ kind: 'timeout', drained: false });
    expect(sent).toEqual(['s at 0', 's at 0']);
  });
});

describe('an operation’s timer and the drain’s end', () => {
  const attempt = (name: string, log: string[]) => ({
    expiresAt: 0,
    expire: () => log.push(`${name} expired at ${Date.now() - T0}`),
    cancel: () => log.push(`${name} cancelled at ${Date.now() - T0}`),
  });

  it('an attempt that outlives the drain’s end is ended there, though another one expires before it', async () => {
    jest.useFakeTimers({ now: T0 });
    const drain = new Drain();
    const scope = createOperationScope({ deadline: T0 + 60_000, clock: systemClock, drain });
    const log: string[] = [];
    scope.track(attempt('a', log), 5_000);
    await jest.advanceTimersByTimeAsync(1_000);
    scope.track(attempt('b', log), 30_000);
    drain.begin(T0 + 9_000);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(log).toEqual(['a expired at 5000', 'b expired at 9000']);
    expect(scope.stopped).toBe('deadline');
  });

  it('an operation that begins after the drain’s end sends nothing', async () => {
    jest.useFakeTimers({ now: T0 });
    const drain = new Drain();
    drain.begin(T0 + 1_000);
    await jest.advanceTimersByTimeAsync(2_000);
    const scope = createOperationScope({ deadline: T0 + 60_000, clock: systemClock, drain });
    const log: string[] = [];
    expect(scope.track(attempt('late', log), 30_000)).toBe(false);
    expect(scope.stopped).toBe('deadline');
    expect(log).toEqual([]);
  });
});

describe('an operation whose own deadline comes first during a drain', () => {
  it('says its deadline passed, not that the gateway shut down', async () => {
    jest.useFakeTimers({ now: T0 });
    const sent: string[] = [];
    const transport: HttpTransport = {
      send: (request) =>
        new Promise<HttpOutcome>((resolve) => {
          sent.push(`at ${Date.now() - T0}`);
          const end = () => resolve({ ok: false, failure: 'timeout', sent: true, reason: 'x' });
          if (!request.watcher.track({ expiresAt: 0, expire: end, cancel: end }, request.timeoutMs))
            end();
        }),
      close: () => Promise.resolve(),
    };
    const service = createGraphService({
      baseUrl: 'https://graph.microsoft.com/beta',
      timeoutMs: 30_000,
      userAgent: 'test',
      retry: { maxRetries: 0, maxDelayMs: 30_000, baseDelayMs: 1_000 },
      transport,
      clock: systemClock,
    });
    const client = service.client({
      authorization: bearer('p'),
      clientRequestId: 'c',
      deadline: T0 + 2_000,
    });
    const inFlight = client
      .request(GET)
      .then(() => new Error('answered'))
      .catch((caught: unknown) => caught as Error);
    service.drain(T0 + 9_000);
    await jest.advanceTimersByTimeAsync(2_000);
    expect((await inFlight).message).toBe(
      'Microsoft Graph did not answer within the time this operation may take.',
    );
    const next = await client.request(GET).catch((caught: unknown) => caught);
    expect(describeError(next)).toMatchObject({ kind: 'timeout', drained: false });
    expect(sent).toEqual(['at 0']);
  });
});
