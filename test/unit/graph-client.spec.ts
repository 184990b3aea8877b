import { createGraphService } from '../../src/graph/client/client';
import { systemClock } from '../../src/graph/client/retry-loop';
import { createQuotaPacer, INTUNE_QUOTA_LIMITS } from '../../src/graph/quota';
import { cancelledError, isGraphError } from '../../src/graph/errors';
import type { GraphError } from '../../src/graph/errors';
import type { HttpOutcome, HttpRequest, HttpTransport } from '../../src/graph/http/transport';
import type { BatchItem, GraphClock, GraphRequest } from '../../src/graph/types';

/** A clock whose sleeps resolve at once and are recorded, so delays are checked exactly without waiting. */
function fakeClock(random = 0.5) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const clock: GraphClock = {
    now: () => now,
    random: () => random,
    sleep: (ms, signal) => {
      if (signal?.aborted) return Promise.reject(cancelledError());
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
  return { clock, sleeps, advance: (ms: number) => (now += ms) };
}

type Answer = HttpOutcome | ((request: HttpRequest) => HttpOutcome);

/** A transport that records every request and answers from a script. */
function scriptedTransport(answers: Answer[]) {
  const sent: HttpRequest[] = [];
  const transport: HttpTransport = {
    send: (request) => {
      sent.push(request);
      const answer = answers.shift();
      if (!answer) return Promise.reject(new Error('unexpected request'));
      return Promise.resolve(typeof answer === 'function' ? answer(request) : answer);
    },
    close: () => Promise.resolve(),
  };
  return { transport, sent };
}

const ok = (status: number, body: unknown = undefined, headers = {}): HttpOutcome => ({
  ok: true,
  status,
  headers: { 'request-id': 'r', ...headers },
  body: body === undefined ? '' : JSON.stringify(body),
});

const GET: GraphRequest & BatchItem = {
  method: 'GET',
  path: '/deviceManagement/deviceConfigurations/c/userStatuses/s',
  variant: 'DEVICE_CONFIGURATION',
  target: 'item',
};

function clientWith(answers: Answer[], options: { random?: number; deadlineMs?: number } = {}) {
  const { clock, sleeps } = fakeClock(options.random);
  const { transport, sent } = scriptedTransport(answers);
  const service = createGraphService({
    baseUrl: 'https://graph.microsoft.com/beta',
    timeoutMs: 10_000,
    userAgent: 'test',
    retry: { maxRetries: 3, maxDelayMs: 30_000, baseDelayMs: 3_000 },
    transport,
    clock,
  });
  const client = service.client({
    authorization: 'Bearer t',
    clientRequestId: 'c',
    deadline: clock.now() + (options.deadlineMs ?? 60_000),
  });
  return { client, sent, sleeps };
}

async function failure(promise: Promise<unknown>): Promise<GraphError> {
  try {
    await promise;
  } catch (error) {
    if (isGraphError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('single calls: exact waits', () => {
  it.each([
    [
      '429 with Retry-After 2.5 waits exactly 2500 ms',
      [ok(429, {}, { 'retry-after': '2.5' }), ok(200, { id: 's' })],
      [2500],
    ],
    [
      '429 without Retry-After waits the 3 s base plus jitter (r = 0.5)',
      [ok(429), ok(200, { id: 's' })],
      [4500],
    ],
    ['503, 503 then 200: 4500 then 9000', [ok(503), ok(503), ok(200, { id: 's' })], [4500, 9000]],
    ['500 is never retried', [ok(500)], []],
  ] as const)('%s', async (_name, answers, expected) => {
    const { client, sleeps, sent } = clientWith([...answers]);
    await client.request(GET).catch(() => undefined);
    expect(sleeps).toEqual(expected);
    expect(sent).toHaveLength(answers.length);
    expect(sent.map((request) => request.headers['Retry-Attempt'])).toEqual(
      answers.map((_answer, index) => (index === 0 ? undefined : String(index))),
    );
  });

  it('Retry-After as an HTTP date waits until that second (moved here from a 2 s real-time test)', async () => {
    const { client, sleeps } = clientWith([
      () => ok(429, {}, { 'retry-after': new Date(1_000_000 + 3_000).toUTCString() }),
      ok(200, { id: 's' }),
    ]);
    await client.request(GET);
    expect(sleeps).toEqual([3000]);
  });

  it('a second Retry-After that would end past the deadline is not waited for', async () => {
    const { client, sleeps, sent } = clientWith(
      [ok(429, {}, { 'retry-after': '2.4' }), ok(429, {}, { 'retry-after': '2.4' })],
      { deadlineMs: 3000 },
    );
    const error = await failure(client.request(GET));
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 2.4 });
    expect(sleeps).toEqual([2400]);
    expect(sent).toHaveLength(2);
  });

  it('a Retry-After beyond the deadline is not waited for: THROTTLED at once', async () => {
    const { client, sleeps } = clientWith([ok(429, {}, { 'retry-after': '20' })], {
      deadlineMs: 5000,
    });
    const error = await failure(client.request(GET));
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(20);
    expect(sleeps).toEqual([]);
  });

  it('an operation ended before its first call sends nothing at all', async () => {
    const { client, sent } = clientWith([ok(200, { id: 's' })]);
    client.end();
    expect((await failure(client.request(GET))).kind).toBe('cancelled');
    const outcomes = await client.batch([{ ...GET }, { ...GET, path: `${GET.path}2` }]);
    expect(outcomes.every((outcome) => !outcome.ok && outcome.error.kind === 'cancelled')).toBe(
      true,
    );
    expect(sent).toHaveLength(0);
  });

  it('without a token nothing is sent', async () => {
    const { transport, sent } = scriptedTransport([]);
    const service = createGraphService({
      baseUrl: 'https://graph.microsoft.com/beta',
      timeoutMs: 1000,
      userAgent: 'test',
      retry: { maxRetries: 3, maxDelayMs: 30_000, baseDelayMs: 3_000 },
      transport,
    });
    const client = service.client({
      authorization: null,
      clientRequestId: 'c',
      deadline: Date.now() + 1000,
    });
    expect((await failure(client.request(GET))).kind).toBe('unauthenticated');
    await expect(client.batch([GET, GET])).rejects.toMatchObject({
      kind: 'unauthenticated',
    });
    expect(sent).toHaveLength(0);
  });
});

const items = (count: number, method: 'GET' | 'PATCH' = 'PATCH'): BatchItem[] =>
  Array.from({ length: count }, (_, index) => ({
    method,
    path: `/deviceManagement/deviceConfigurations/c/userStatuses/s${index}`,
    variant: 'DEVICE_CONFIGURATION',
    target: 'item',
    ...(method === 'PATCH' ? { body: { status: 'compliant' } } : {}),
  }));

/** A `$batch` answer: each requested item answered by `status(id)`. */
const batchAnswer =
  (status: (id: string) => number, headers: (id: string) => Record<string, string> = () => ({})) =>
  (request: HttpRequest): HttpOutcome => {
    const { requests } = JSON.parse(request.body ?? '{}') as { requests: Array<{ id: string }> };
    return ok(200, {
      responses: requests.map(({ id }) => ({
        id,
        status: status(id),
        headers: headers(id),
        body:
          status(id) < 300
            ? { id: `s${id}` }
            : { error: { code: 'x', message: 'm', innerError: { 'request-id': `item-${id}` } } },
      })),
    });
  };

describe('$batch through the same loop', () => {
  it('throttled items are sent again after the longest Retry-After, with Retry-Attempt', async () => {
    const { client, sent, sleeps } = clientWith([
      batchAnswer(
        (id) => (id === '1' ? 429 : 200),
        (id): Record<string, string> => (id === '1' ? { 'Retry-After': '1.5' } : {}),
      ),
      batchAnswer(() => 200),
    ]);
    const outcomes = await client.batch(items(3));
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(sleeps).toEqual([1500]);
    expect(sent.map((request) => request.headers['Retry-Attempt'])).toEqual([undefined, '1']);
    expect((JSON.parse(sent[1]!.body!) as { requests: unknown[] }).requests).toHaveLength(1);
  });

  it('a disconnect (the operation ends) while throttled items wait sends nothing more to Graph', async () => {
    let endOperation = () => {};
    const { client, sent } = clientWith([
      (request) => {
        const answer = batchAnswer(
          () => 429,
          () => ({ 'Retry-After': '2' }),
        )(request);
        endOperation(); // the GraphQL client goes away while Graph throttles
        return answer;
      },
    ]);
    endOperation = () => client.end();
    const outcomes = await client.batch(items(5));
    expect(sent).toHaveLength(1);
    expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.kind))).toEqual(
      Array(5).fill('cancelled'),
    );
  });

  it('out of retries, each item keeps its own error and request id', async () => {
    const throttled = (request: HttpRequest): HttpOutcome => {
      const { requests } = JSON.parse(request.body ?? '{}') as {
        requests: Array<{ id: string; url: string }>;
      };
      return ok(200, {
        responses: requests.map(({ id, url }) =>
          url.endsWith('/s1')
            ? {
                id,
                status: 429,
                headers: { 'Retry-After': '1' },
                body: {
                  error: { code: 'TooManyRequests', innerError: { 'request-id': 'item-s1' } },
                },
              }
            : { id, status: 200, body: { id: 's0' } },
        ),
      });
    };
    const { client, sent, sleeps } = clientWith([throttled, throttled, throttled, throttled]);
    const outcomes = await client.batch(items(2));
    expect(outcomes[0]!.ok).toBe(true);
    expect(outcomes[1]).toMatchObject({
      ok: false,
      error: { status: 429, requestId: 'item-s1', retryAfterSeconds: 1 },
    });
    expect(sent).toHaveLength(4);
    expect(sleeps).toEqual([1000, 1000, 1000]);
  });

  // Graph's older batching docs answered a batch with throttled items 424 (the current ones 200): both are handled.
  it('a 424 envelope holding its items’ answers is read item by item: the throttled one alone is sent again', async () => {
    const answers424 = (request: HttpRequest): HttpOutcome => {
      const answer = batchAnswer(
        (id) => (id === '2' ? 429 : 200),
        (id): Record<string, string> => (id === '2' ? { 'Retry-After': '2' } : {}),
      )(request);
      return { ...answer, status: 424 } as HttpOutcome;
    };
    const { client, sent, sleeps } = clientWith([answers424, batchAnswer(() => 200)]);
    const outcomes = await client.batch(items(3));
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(sleeps).toEqual([2000]);
    expect((JSON.parse(sent[1]!.body!) as { requests: unknown[] }).requests).toHaveLength(1);
  });

  it.each([
    ['an error body', { error: { code: 'FailedDependency', message: 'm' } }],
    ['no body', undefined],
    ['a body whose responses are not a list', { responses: {} }],
  ])(
    'a 424 envelope with %s is throttling: the whole batch is sent again after its Retry-After',
    async (_name, body) => {
      const { client, sent, sleeps } = clientWith([
        ok(424, body, { 'retry-after': '3' }),
        batchAnswer(() => 200),
      ]);
      const outcomes = await client.batch(items(2));
      expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
      expect(sleeps).toEqual([3000]);
      expect(sent.map((request) => request.headers['Retry-Attempt'])).toEqual([undefined, '1']);
      expect((JSON.parse(sent[1]!.body!) as { requests: unknown[] }).requests).toHaveLength(2);
    },
  );

  it('a 424 envelope still there after the retries: each item says 424 and when to retry', async () => {
    const throttled = ok(424, undefined, { 'retry-after': '1' });
    const { client, sent } = clientWith([throttled, throttled, throttled, throttled]);
    const outcomes = await client.batch(items(2));
    expect(sent).toHaveLength(4);
    expect(
      outcomes.map(
        (outcome) => !outcome.ok && [outcome.error.status, outcome.error.retryAfterSeconds],
      ),
    ).toEqual([
      [424, 1],
      [424, 1],
    ]);
  });

  it.each([429, 424])(
    'an envelope %i without answers holds the tenant and app for its Retry-After and proves no token',
    async (status) => {
      jest.useFakeTimers({ now: 1_000_000 });
      try {
        const sent: string[] = [];
        const transport: HttpTransport = {
          send: (request) => {
            const batch = request.url.pathname.endsWith('/$batch');
            sent.push(`${batch ? '$batch' : 'GET'} at ${Date.now() - 1_000_000}`);
            return Promise.resolve(
              batch ? ok(status, undefined, { 'retry-after': '2' }) : ok(200, { id: 's' }),
            );
          },
          close: () => Promise.resolve(),
        };
        const service = createGraphService({
          baseUrl: 'https://graph.microsoft.com/beta',
          timeoutMs: 10_000,
          userAgent: 'test',
          retry: { maxRetries: 0, maxDelayMs: 30_000, baseDelayMs: 1_000 },
          transport,
          clock: systemClock,
          quota: createQuotaPacer({ limits: INTUNE_QUOTA_LIMITS, random: () => 0 }),
        });
        const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
        const client = (jti: string) =>
          service.client({
            authorization: `Bearer ${encode({ alg: 'none' })}.${encode({ tid: 't', appid: 'a', jti })}.s`,
            clientRequestId: 'c',
            deadline: Date.now() + 30_000,
          });
        // A genuine token first (a 200 proves it), so that the envelope's throttling holds its tenant and app.
        const genuine = client('genuine');
        await genuine.request(GET);
        await genuine.batch([GET, { ...GET, path: `${GET.path}2` }]);
        const forged = client('forged');
        await forged.batch([GET, { ...GET, path: `${GET.path}2` }]);
        expect(forged.tokenProven()).toBe(false);
        const next = client('genuine').request(GET);
        await jest.advanceTimersByTimeAsync(1_999);
        expect(sent).toEqual(['GET at 0', '$batch at 0', '$batch at 0']);
        await jest.advanceTimersByTimeAsync(1);
        await next;
        expect(sent).toEqual(['GET at 0', '$batch at 0', '$batch at 0', 'GET at 2000']);
      } finally {
        jest.useRealTimers();
      }
    },
  );

  it('a single call answered 424 is not retried (only a batch envelope means throttling by it)', async () => {
    const { client, sent } = clientWith([ok(424, undefined, { 'retry-after': '1' })]);
    expect(await failure(client.request(GET))).toMatchObject({ kind: 'status', status: 424 });
    expect(sent).toHaveLength(1);
  });

  it.each([[1e308], [-1], [0], [600], ['200'], [200.5]])(
    'an item status of %j is a malformed answer',
    async (status) => {
      const { client } = clientWith([
        (request) => {
          const { requests } = JSON.parse(request.body ?? '{}') as {
            requests: Array<{ id: string }>;
          };
          return ok(200, {
            responses: requests.map(({ id }) => ({ id, status, body: { id: 's' } })),
          });
        },
      ]);
      const outcomes = await client.batch(items(2, 'GET'));
      expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.kind))).toEqual([
        'malformed',
        'malformed',
      ]);
    },
  );
});
