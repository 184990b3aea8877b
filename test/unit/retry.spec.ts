import { decideRetry } from '../../src/graph/client/retry';
import type { AttemptFailure, GraphMethod, RetryDecision } from '../../src/graph/client/retry';

// Microsoft's SDK default base: 3 s.
const policy = { maxRetries: 3, maxDelayMs: 30_000, baseDelayMs: 3_000 };
const status = (code: number, retryAfterSeconds?: number): AttemptFailure =>
  retryAfterSeconds === undefined
    ? { kind: 'status', status: code }
    : { kind: 'status', status: code, retryAfterSeconds };

describe('decideRetry', () => {
  it.each<[string, GraphMethod, AttemptFailure, number, number, number, RetryDecision]>([
    // name, method, failure, retries so far, remaining ms, random, decision
    [
      '429 with Retry-After waits exactly that long',
      'PATCH',
      status(429, 2.128),
      0,
      30_000,
      0.5,
      { retry: true, delayMs: 2128 },
    ],
    ['503 with Retry-After 0', 'GET', status(503, 0), 0, 30_000, 0.5, { retry: true, delayMs: 0 }],
    [
      '504 without Retry-After: the 3 s base plus jitter',
      'DELETE',
      status(504),
      0,
      30_000,
      0.5,
      { retry: true, delayMs: 4500 },
    ],
    [
      'second retry doubles the step',
      'GET',
      status(503),
      1,
      30_000,
      0.5,
      { retry: true, delayMs: 9000 },
    ],
    [
      'third retry doubles again',
      'GET',
      status(503),
      2,
      30_000,
      0.999,
      { retry: true, delayMs: 23_988 },
    ],
    [
      'jitter never goes below the base',
      'GET',
      status(503),
      0,
      30_000,
      0,
      { retry: true, delayMs: 3000 },
    ],
    [
      'the deadline leaves no room for the step',
      'GET',
      status(503),
      0,
      3000,
      0,
      { retry: false, reason: 'deadline' },
    ],
    [
      'after 3 retries it stops',
      'GET',
      status(503),
      3,
      30_000,
      0.5,
      { retry: false, reason: 'exhausted' },
    ],
    [
      '500 is never retried',
      'GET',
      status(500),
      0,
      30_000,
      0.5,
      { retry: false, reason: 'not-retryable' },
    ],
    [
      '502 is never retried',
      'GET',
      status(502),
      0,
      30_000,
      0.5,
      { retry: false, reason: 'not-retryable' },
    ],
    [
      '404 is never retried',
      'GET',
      status(404),
      0,
      30_000,
      0.5,
      { retry: false, reason: 'not-retryable' },
    ],
    [
      'a Retry-After over the maximum wait is not cut short',
      'PATCH',
      status(429, 31),
      0,
      60_000,
      0.5,
      { retry: false, reason: 'retry-after-too-long' },
    ],
    [
      'a Retry-After beyond the deadline',
      'PATCH',
      status(429, 5),
      0,
      4_000,
      0.5,
      { retry: false, reason: 'deadline' },
    ],
    [
      'a backoff beyond the deadline',
      'GET',
      status(503),
      0,
      100,
      0.5,
      { retry: false, reason: 'deadline' },
    ],
    [
      'a POST answered 429 is not sent again',
      'POST',
      status(429, 1),
      0,
      30_000,
      0.5,
      { retry: false, reason: 'not-retryable' },
    ],
    [
      'a POST answered 503 is not sent again',
      'POST',
      status(503),
      0,
      30_000,
      0.5,
      { retry: false, reason: 'not-retryable' },
    ],
    [
      'a POST whose connection was refused is sent again',
      'POST',
      { kind: 'connection', sent: false },
      0,
      30_000,
      0.5,
      { retry: true, delayMs: 4500 },
    ],
    [
      'a proxy refusing our credentials is never retried',
      'GET',
      { kind: 'connection', sent: false, permanent: true },
      0,
      30_000,
      0.5,
      { retry: false, reason: 'not-retryable' },
    ],
    [
      'a POST reset after sending is not',
      'POST',
      { kind: 'connection', sent: true },
      0,
      30_000,
      0.5,
      { retry: false, reason: 'not-retryable' },
    ],
    [
      'a PATCH reset before any answer is',
      'PATCH',
      { kind: 'connection', sent: true },
      0,
      30_000,
      0.5,
      { retry: true, delayMs: 4500 },
    ],
    [
      'a timeout is not retried',
      'GET',
      { kind: 'timeout' },
      0,
      30_000,
      0.5,
      { retry: false, reason: 'not-retryable' },
    ],
    [
      'a malformed answer is not retried',
      'GET',
      { kind: 'malformed' },
      0,
      30_000,
      0.5,
      { retry: false, reason: 'not-retryable' },
    ],
  ])('%s', (_name, method, failure, retriesSoFar, remainingMs, random, decision) => {
    expect(decideRetry(policy, { method, failure, retriesSoFar, remainingMs, random })).toEqual(
      decision,
    );
  });

  it('caps the backoff at the maximum wait', () => {
    const capped = { ...policy, maxDelayMs: 1500, maxRetries: 10 };
    expect(
      decideRetry(capped, {
        method: 'GET',
        failure: status(503),
        retriesSoFar: 8,
        remainingMs: 60_000,
        random: 0.999,
      }),
    ).toEqual({
      retry: true,
      delayMs: 1500,
    });
  });

  it('makes no retry when maxRetries is 0', () => {
    expect(
      decideRetry(
        { ...policy, maxRetries: 0 },
        {
          method: 'GET',
          failure: status(429, 1),
          retriesSoFar: 0,
          remainingMs: 30_000,
          random: 0.5,
        },
      ),
    ).toEqual({
      retry: false,
      reason: 'exhausted',
    });
  });
});
