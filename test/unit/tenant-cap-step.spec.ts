import { createGraphService } from '../../src/graph/client/client';
import { isGraphError } from '../../src/graph/errors';
import type { GraphError } from '../../src/graph/errors';
import type { HttpOutcome, HttpRequest, HttpTransport } from '../../src/graph/http/transport';
import type { TenantCapHooks } from '../../src/graph/tenant-cap/lanes';
import type { BatchItem, GraphClient, GraphRequest } from '../../src/graph/types';

/**
 * The tenant cap step of the Graph client (src/graph/client/tenant-cap.ts), over a transport that holds every
 * request until the test answers it: which calls are sent, in which order, and which wait. A cap of 2 (so 1 place
 * per claimed tenant for unproven tokens, 2 for all of them), no quota pacing (the step records proofs itself),
 * jest's fake clock and timers.
 */
const T0 = 1_000_000;
const TENANT_A = '11111111-1111-4111-8111-111111111111';
const TENANT_B = '22222222-2222-4222-8222-222222222222';
const APP = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';

/** A JWT-shaped bearer header claiming `tid` (never verified by the gateway); `n` makes distinct tokens. */
const bearer = (tid: string, n = 0) => {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `Bearer ${encode({ alg: 'none' })}.${encode({ tid, appid: APP, n })}.sig`;
};

const ok = (status: number, body: unknown): HttpOutcome => ({
  ok: true,
  status,
  headers: { 'request-id': 'r' },
  body: JSON.stringify(body),
});

const GET: GraphRequest & BatchItem = {
  method: 'GET',
  path: '/deviceManagement/deviceConfigurations/c/userStatuses/s',
  variant: 'DEVICE_CONFIGURATION',
  target: 'item',
};

/** The Graph client's service over `transport`, with a cap of 2 and no quota pacing. */
function serviceOver(
  transport: HttpTransport,
  retry: { maxRetries: number; baseDelayMs: number },
  hooks?: TenantCapHooks,
) {
  return createGraphService({
    baseUrl: 'https://graph.microsoft.com/beta',
    timeoutMs: 10_000,
    userAgent: 'test',
    retry: { ...retry, maxDelayMs: 30_000 },
    transport,
    tenantCap: { maxInFlight: 2, ...(hooks ? { hooks } : {}) },
  });
}

/** Every request is held until `answer(index)`; `$batch` envelopes get a 200 for each of their items. */
function setup(hooks?: TenantCapHooks) {
  jest.useFakeTimers({ now: T0 });
  const sent: HttpRequest[] = [];
  const answers: Array<(status: number) => void> = [];
  const transport: HttpTransport = {
    send: (request) => {
      sent.push(request);
      return new Promise((resolve) =>
        answers.push((status) => resolve(ok(status, answerBody(request, status)))),
      );
    },
    close: () => Promise.resolve(),
  };
  const service = serviceOver(transport, { maxRetries: 0, baseDelayMs: 3_000 }, hooks);
  const client = (authorization: string, deadlineMs = 30_000) =>
    service.client({ authorization, clientRequestId: 'c', deadline: Date.now() + deadlineMs });
  /** Who each request sent so far was sent for, by the `n` and `tid` of its token. */
  const senders = () => sent.map((request) => sender(request.headers.Authorization!));
  const answer = async (index: number, status = 200) => {
    answers[index]!(status);
    await jest.advanceTimersByTimeAsync(0);
  };
  return { client, sent, senders, answer };
}

function answerBody(request: HttpRequest, status: number): unknown {
  if (!request.url.pathname.endsWith('/$batch')) return status < 300 ? { id: 's' } : {};
  const { requests } = JSON.parse(request.body!) as { requests: Array<{ id: string }> };
  return { responses: requests.map(({ id }) => ({ id, status, body: { id: 's' } })) };
}

function sender(authorization: string): string {
  const claims = JSON.parse(Buffer.from(authorization.split('.')[1]!, 'base64url').toString()) as {
    tid: string;
    n: number;
  };
  return `${claims.tid === TENANT_A ? 'A' : 'B'}${claims.n}`;
}

/** A proven token: one call of it answered 200 (Graph accepted it). */
async function proven(
  { client, answer, sent }: ReturnType<typeof setup>,
  authorization: string,
): Promise<GraphClient> {
  const graph = client(authorization);
  const first = graph.request(GET);
  await jest.advanceTimersByTimeAsync(0);
  await answer(sent.length - 1);
  await first;
  return graph;
}

const settle = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: GraphError) => error,
  );

afterEach(() => jest.useRealTimers());

describe('a proven tenant at its cap', () => {
  it('waits, first come, first served, while another tenant’s call goes at once', async () => {
    const setupResult = setup();
    const { senders, answer } = setupResult;
    const a = await proven(setupResult, bearer(TENANT_A, 1));
    const b = await proven(setupResult, bearer(TENANT_B, 1));
    const calls = [a.request(GET), a.request(GET), a.request(GET), a.request(GET)];
    await jest.advanceTimersByTimeAsync(0);
    const other = b.request(GET);
    await jest.advanceTimersByTimeAsync(0);
    // The two proofs, two of A's four calls, then B's: A's other two wait for a place.
    expect(senders()).toEqual(['A1', 'B1', 'A1', 'A1', 'B1']);
    await answer(4);
    await other;
    await answer(2);
    expect(senders()).toHaveLength(6);
    await answer(3);
    expect(senders()).toHaveLength(7);
    await answer(5);
    await answer(6);
    expect(await Promise.all(calls.map(settle))).toEqual(['ok', 'ok', 'ok', 'ok']);
    // Every place was given back: two more calls of A go at once.
    void a.request(GET);
    void a.request(GET);
    await jest.advanceTimersByTimeAsync(0);
    expect(senders()).toHaveLength(9);
  });

  it('a `$batch` envelope takes one place, whatever it holds', async () => {
    const setupResult = setup();
    const { sent, answer } = setupResult;
    const a = await proven(setupResult, bearer(TENANT_A, 1));
    const items: BatchItem[] = Array.from({ length: 60 }, (_, index) => ({
      ...GET,
      path: `/deviceManagement/deviceConfigurations/c/userStatuses/s${index}`,
    }));
    const batch = a.batch(items);
    await jest.advanceTimersByTimeAsync(0);
    // Three chunks of 20: two envelopes in flight, the third waits for a place.
    expect(sent.slice(1).map((request) => request.url.pathname)).toEqual([
      '/beta/$batch',
      '/beta/$batch',
    ]);
    await answer(1);
    expect(sent).toHaveLength(4);
    await answer(2);
    await answer(3);
    const outcomes = await batch;
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(60);
  });
});

describe('waits that end without a place: nothing is sent', () => {
  it('the deadline: a quota error (THROTTLED to the client) in the cap’s words, retry after 1 s', async () => {
    const refused: string[] = [];
    const setupResult = setup({ refused: (lane) => refused.push(lane) });
    const { client, sent } = setupResult;
    await proven(setupResult, bearer(TENANT_A, 1));
    const a = client(bearer(TENANT_A, 1), 1_000);
    const held = [a.request(GET), a.request(GET)];
    const waiting = settle(a.request(GET));
    await jest.advanceTimersByTimeAsync(999);
    expect(sent).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(1);
    const error = (await waiting) as GraphError;
    expect(isGraphError(error)).toBe(true);
    expect({ kind: error.kind, retryAfterSeconds: error.retryAfterSeconds }).toEqual({
      kind: 'quota',
      retryAfterSeconds: 1,
    });
    expect(error.message).toBe(
      "This tenant's calls already hold every connection to Microsoft Graph they may use at once through this gateway, and none freed up before this operation's deadline; retry later.",
    );
    expect(sent).toHaveLength(3);
    expect(refused).toEqual(['tenant']);
    void held;
  });

  it('the caller goes away: cancelled, and its place in the queue goes to the next call', async () => {
    const setupResult = setup();
    const { client, sent, answer } = setupResult;
    await proven(setupResult, bearer(TENANT_A, 1));
    const a = client(bearer(TENANT_A, 1));
    const gone = client(bearer(TENANT_A, 1));
    void a.request(GET);
    void a.request(GET);
    const cancelled = settle(gone.request(GET));
    const next = a.request(GET);
    await jest.advanceTimersByTimeAsync(0);
    gone.end();
    expect(((await cancelled) as GraphError).kind).toBe('cancelled');
    await answer(1);
    expect(sent).toHaveLength(4);
    await answer(3);
    await next;
  });
});

describe('tokens Graph has not accepted', () => {
  it('claiming a tenant, they take none of its places: one per claimed tenant, two in all', async () => {
    const setupResult = setup();
    const { client, senders } = setupResult;
    const a = await proven(setupResult, bearer(TENANT_A, 1));
    // Forged tokens claiming A's tenant (Graph never answered them), then one claiming B's.
    for (const n of [2, 3, 4]) void client(bearer(TENANT_A, n)).request(GET);
    void client(bearer(TENANT_B, 5)).request(GET);
    void client(bearer(TENANT_B, 6)).request(GET);
    await jest.advanceTimersByTimeAsync(0);
    expect(senders()).toEqual(['A1', 'A2', 'B5']);
    // A's genuine token still has both of its places.
    void a.request(GET);
    void a.request(GET);
    await jest.advanceTimersByTimeAsync(0);
    expect(senders()).toEqual(['A1', 'A2', 'B5', 'A1', 'A1']);
  });

  it('a 401 proves nothing; a 200 does, and the token’s waiting calls go on in its tenant’s lane', async () => {
    const setupResult = setup();
    const { client, senders, answer } = setupResult;
    const forged = client(bearer(TENANT_A, 9));
    const refusedCall = settle(forged.request(GET));
    const second = settle(forged.request(GET));
    await jest.advanceTimersByTimeAsync(0);
    expect(senders()).toEqual(['A9']);
    await answer(0, 401);
    expect(((await refusedCall) as GraphError).status).toBe(401);
    // Still unproven: its next call took the one place of A's unproven tokens.
    expect(senders()).toEqual(['A9', 'A9']);
    await answer(1, 401);
    await second;

    const fresh = client(bearer(TENANT_A, 1));
    const calls = [fresh.request(GET), fresh.request(GET), fresh.request(GET)];
    await jest.advanceTimersByTimeAsync(0);
    expect(senders()).toHaveLength(3);
    await answer(2, 200);
    // Proven: the call that waited among unproven ones moves to A's lane, and so does the next: two in flight.
    expect(senders()).toEqual(['A9', 'A9', 'A1', 'A1', 'A1']);
    await answer(3);
    await answer(4);
    expect(await Promise.all(calls.map(settle))).toEqual(['ok', 'ok', 'ok']);
  });
});

describe('a place comes back when the transport fails', () => {
  /** Cap 2, the proven tenant A; a transport that fails (throws, or rejects) while `failing` says so. */
  function failingSetup(how: 'throws' | 'rejects') {
    jest.useFakeTimers({ now: T0 });
    let failing = false;
    let unavailable = 0;
    const sent: HttpRequest[] = [];
    const transport: HttpTransport = {
      send: (request) => {
        sent.push(request);
        if (unavailable > 0) {
          unavailable -= 1;
          return Promise.resolve(ok(503, {}));
        }
        if (failing && how === 'throws') throw new Error('boom');
        if (failing) return Promise.reject(new Error('boom'));
        return Promise.resolve(ok(200, answerBody(request, 200)));
      },
      close: () => Promise.resolve(),
    };
    const service = serviceOver(transport, { maxRetries: 1, baseDelayMs: 10 });
    const graph = service.client({
      authorization: bearer(TENANT_A, 1),
      clientRequestId: 'c',
      deadline: Date.now() + 30_000,
    });
    const fail = (on: boolean, first503 = 0) => {
      failing = on;
      unavailable = first503;
    };
    return { graph, sent, fail };
  }

  const twoItems: BatchItem[] = [GET, { ...GET, path: `${GET.path}2` }];

  it.each(['throws', 'rejects'] as const)(
    'a single call whose transport %s: both places free again',
    async (how) => {
      const { graph, sent, fail } = failingSetup(how);
      await graph.request(GET);
      fail(true);
      await expect(graph.request(GET)).rejects.toThrow('boom');
      await expect(graph.request(GET)).rejects.toThrow('boom');
      fail(false);
      const both = Promise.all([graph.request(GET), graph.request(GET)]);
      await jest.advanceTimersByTimeAsync(0);
      expect(sent).toHaveLength(5);
      await both;
    },
  );

  it.each(['throws', 'rejects'] as const)(
    'a `$batch` whose transport %s: both places free again',
    async (how) => {
      const { graph, sent, fail } = failingSetup(how);
      await graph.request(GET);
      fail(true);
      // Each envelope is answered 503 first, so it is the retry's own turn whose transport fails.
      for (const _ of [1, 2]) {
        fail(true, 1);
        const done = settle(graph.batch(twoItems));
        await jest.advanceTimersByTimeAsync(1_000);
        await done;
      }
      fail(false);
      const both = Promise.all([graph.request(GET), graph.request(GET)]);
      await jest.advanceTimersByTimeAsync(0);
      expect(sent).toHaveLength(7);
      await both;
    },
  );
});

describe('a `$batch` chunk that never sends gives its place back', () => {
  it('its caller goes away once it has its place, before it sends: the place is free again', async () => {
    // The moment a waiting call gets its place (the lanes report it), its caller goes away: the chunk's retry loop
    // stops before sending anything, so only executeBatch's own `leave()` can give that place back.
    let onPlace: (() => void) | undefined;
    const setupResult = setup({ waiting: (_kind, change) => change === -1 && onPlace?.() });
    const { client, sent, answer } = setupResult;
    const a = await proven(setupResult, bearer(TENANT_A, 1));
    const held = [a.request(GET), a.request(GET)];
    const gone = client(bearer(TENANT_A, 1));
    const batch = gone.batch([GET, { ...GET, path: `${GET.path}2` }]);
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(3);
    onPlace = () => gone.end();
    await answer(1);
    const outcomes = await batch;
    expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.kind))).toEqual([
      'cancelled',
      'cancelled',
    ]);
    onPlace = undefined;
    await answer(2);
    await Promise.all(held);
    expect(sent).toHaveLength(3);
    // Both of A's places are free: two calls go at once.
    void a.request(GET);
    void a.request(GET);
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(5);
  });
});
