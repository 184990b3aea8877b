import { createGraphService } from '../../src/graph/client/client';
import { isGraphError } from '../../src/graph/errors';
import type { GraphError } from '../../src/graph/errors';
import type {
  HttpOutcome,
  HttpRequest,
  HttpTransport,
  WatchedAttempt,
} from '../../src/graph/http/transport';
import { createOperationScope } from '../../src/graph/client/operation';
import { systemClock } from '../../src/graph/client/retry-loop';
import type { BatchItem, GraphRequest } from '../../src/graph/types';

// Fake timers move Date.now() too, so the real clock and setTimeout give exact, instant delays.
beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

/** An attempt as the HTTP transport runs it under a watcher: it ends when its time is up or it is cancelled. */
function watchedAttempt(log: string[], name: string) {
  const attempt: WatchedAttempt = {
    expiresAt: Infinity,
    expire: () => log.push(`${name} expired at ${Date.now()}`),
    cancel: () => log.push(`${name} cancelled at ${Date.now()}`),
  };
  return attempt;
}

describe('createOperationScope: one timer for every attempt of an operation', () => {
  it.each([
    // [per-attempt timeouts, deadline from now, what happens]
    [[1000], 5000, ['a expired at 1001000']],
    [[8000], 5000, ['a expired at 1005000']],
    [[3000, 1000], 5000, ['b expired at 1001000', 'a expired at 1003000']],
    [[4000, 9000], 5000, ['a expired at 1004000', 'b expired at 1005000']],
  ])('timeouts %j, deadline +%i ms: %j', (timeouts, deadlineMs, expected) => {
    const log: string[] = [];
    const scope = createOperationScope({ deadline: Date.now() + deadlineMs, clock: systemClock });
    timeouts.forEach((ms, index) => scope.track(watchedAttempt(log, 'ab'[index]!), ms));
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(10_000);
    expect(log).toEqual(expected);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('an attempt that ends early leaves the timer alone; it fires once, finds nothing, and is gone', () => {
    const log: string[] = [];
    const scope = createOperationScope({ deadline: Date.now() + 30_000, clock: systemClock });
    const first = watchedAttempt(log, 'a');
    scope.track(first, 1000);
    scope.untrack(first);
    jest.advanceTimersByTime(500);
    const second = watchedAttempt(log, 'b');
    scope.track(second, 1000); // expires at +1500, after the armed +1000: no re-arm
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(500);
    expect(log).toEqual([]);
    expect(jest.getTimerCount()).toBe(1); // re-armed for the second attempt only
    jest.advanceTimersByTime(500);
    expect(log).toEqual(['b expired at 1001500']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('end() cancels what is in flight, clears the timer, aborts the wait signal and refuses new attempts', () => {
    const log: string[] = [];
    const scope = createOperationScope({ deadline: Date.now() + 30_000, clock: systemClock });
    scope.track(watchedAttempt(log, 'a'), 10_000);
    const signal = scope.signal();
    jest.advanceTimersByTime(200);
    scope.end();
    expect(log).toEqual(['a cancelled at 1000200']);
    expect(jest.getTimerCount()).toBe(0);
    expect(signal.aborted).toBe(true);
    expect(scope.stopped).toBe('cancelled');
    expect(scope.track(watchedAttempt(log, 'b'), 10_000)).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });
});

const GET: GraphRequest & BatchItem = {
  method: 'GET',
  path: '/deviceManagement/deviceConfigurations/c/userStatuses/s',
  variant: 'DEVICE_CONFIGURATION',
  target: 'item',
};

/**
 * A transport that keeps to the watcher contract as `src/graph/http/transport.ts` does: an attempt answers after `answerMs`
 * (fake time), or ends as a timeout or a cancellation when its operation says so.
 */
function slowTransport(answerMs: number) {
  const sent: Array<{ at: number; timeoutMs: number }> = [];
  const transport: HttpTransport = {
    send: (request: HttpRequest) =>
      new Promise<HttpOutcome>((resolve) => {
        const end = (outcome: HttpOutcome) => {
          clearTimeout(answer);
          request.watcher?.untrack(attempt);
          resolve(outcome);
        };
        const attempt: WatchedAttempt = {
          expiresAt: Infinity,
          expire: () => end({ ok: false, failure: 'timeout', sent: true, reason: 'time is up' }),
          cancel: () => end({ ok: false, failure: 'cancelled', sent: false, reason: 'cancelled' }),
        };
        const answer = setTimeout(
          () => end({ ok: true, status: 200, headers: { 'request-id': 'r' }, body: '{}' }),
          answerMs,
        );
        if (!request.watcher?.track(attempt, request.timeoutMs)) return attempt.cancel();
        sent.push({ at: Date.now(), timeoutMs: request.timeoutMs });
      }),
    close: () => Promise.resolve(),
  };
  return { transport, sent };
}

function operationWith(answerMs: number, deadlineMs: number) {
  const { transport, sent } = slowTransport(answerMs);
  const service = createGraphService({
    baseUrl: 'https://graph.microsoft.com/beta',
    timeoutMs: 10_000,
    userAgent: 'test',
    retry: { maxRetries: 0, maxDelayMs: 30_000, baseDelayMs: 3_000 },
    transport,
  });
  const client = service.client({
    authorization: 'Bearer t',
    clientRequestId: 'c',
    deadline: Date.now() + deadlineMs,
  });
  return { client, sent };
}

/** The call's outcome (or its GraphError) after `ms` of fake time. */
async function settle<T>(promise: Promise<T>, ms = 0): Promise<T | GraphError> {
  const caught = promise.catch((error: unknown) => {
    if (isGraphError(error)) return error;
    throw error;
  });
  await jest.advanceTimersByTimeAsync(ms);
  return caught;
}

describe('a Graph client: the operation deadline spans all its calls', () => {
  it('a second call gets only the time left, and past the deadline nothing is sent', async () => {
    const { client, sent } = operationWith(4000, 11_000);
    expect(jest.getTimerCount()).toBe(0); // nothing before the first call
    await settle(client.request(GET), 4000);
    await settle(client.request(GET), 4000); // starts at +4000: 7000 ms left, under GRAPH_TIMEOUT_MS
    const third = await settle(client.request(GET), 3000); // starts at +8000: 3000 ms left, cut at +11000
    expect(sent).toEqual([
      { at: 1_000_000, timeoutMs: 10_000 },
      { at: 1_004_000, timeoutMs: 7000 },
      { at: 1_008_000, timeoutMs: 3000 },
    ]);
    expect(third).toMatchObject({
      kind: 'timeout',
      message: 'Microsoft Graph did not answer within the time this operation may take.',
    });
    const fourth = await settle(client.request(GET));
    expect(fourth).toMatchObject({ kind: 'timeout' });
    expect(sent).toHaveLength(3);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('GRAPH_TIMEOUT_MS still bounds each attempt when the deadline is further away', async () => {
    const { client, sent } = operationWith(60_000, 30_000);
    const error = await settle(client.request(GET), 10_000);
    expect(error).toMatchObject({
      kind: 'timeout',
      message: 'Microsoft Graph did not answer within 10000 ms.',
    });
    expect(sent).toEqual([{ at: 1_000_000, timeoutMs: 10_000 }]);
  });

  it('the calls of a batch in flight share one timer, and end() clears it and cancels them', async () => {
    const { client, sent } = operationWith(60_000, 30_000);
    const many = Array.from({ length: 45 }, (_, index) => ({
      ...GET,
      path: `${GET.path}${index}`,
    }));
    const outcomes = client.batch(many);
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(3); // three $batch calls in flight: one timer for the operation
    expect(jest.getTimerCount()).toBe(1 + 3); // the operation's, and the stand-in's three answers
    client.end();
    const settled = await settle(outcomes);
    expect(Array.isArray(settled) && settled.every((outcome) => !outcome.ok)).toBe(true);
    expect(
      (settled as Array<{ ok: false; error: GraphError }>).map((outcome) => outcome.error.kind),
    ).toEqual(Array(45).fill('cancelled'));
    expect(jest.getTimerCount()).toBe(0);
    expect(await settle(client.request(GET))).toMatchObject({ kind: 'cancelled' });
    expect(sent).toHaveLength(3);
  });

  it('end() before any call: the operation never sends', async () => {
    const { client, sent } = operationWith(10, 30_000);
    client.end();
    expect(await settle(client.request(GET))).toMatchObject({ kind: 'cancelled' });
    expect(sent).toHaveLength(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});
