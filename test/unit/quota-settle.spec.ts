import { createGraphService } from '../../src/graph/client/client';
import type { CallContext } from '../../src/graph/client/attempt';
import { settleBudget } from '../../src/graph/client/pacing';
import { systemClock } from '../../src/graph/client/retry-loop';
import { isGraphError } from '../../src/graph/errors';
import type { HttpOutcome, HttpRequest, HttpTransport } from '../../src/graph/http/transport';
import { createQuotaPacer, createTokenProofs } from '../../src/graph/quota';
import type { QuotaGrant, QuotaLimits } from '../../src/graph/quota';
import type { GraphRequest } from '../../src/graph/types';
import { CLIENT_LIMITS } from '../helpers/quota';

/**
 * What Graph's answers to an attempt do to the budget (src/graph/client/pacing.ts, `settleBudget`), and the whole
 * Graph client with a real pacer on Jest's fake clock: a 429 answered to a token Graph has not accepted holds that
 * token only, gives its budget back and lowers nothing; once the token is proven, its 429s hold the tenant.
 */
const T0 = 50_000;
const AUTHORIZATION = 'Bearer t';

interface Settled {
  released: number;
  throttled: Array<[number | undefined, boolean | undefined]>;
  done: boolean;
  provenAfter: boolean;
}

function settle(answers: Array<[number | null, number?]>, provenBefore: boolean): Settled {
  const proofs = createTokenProofs();
  if (provenBefore) proofs.prove(AUTHORIZATION);
  const settled: Settled = { released: 0, throttled: [], done: false, provenAfter: false };
  const grant: QuotaGrant = {
    granted: answers.length,
    waitedMs: 0,
    at: 0,
    shared: false,
    release: (count = answers.length) => (settled.released += count),
    throttled: (retryAfterMs, trusted) => settled.throttled.push([retryAfterMs, trusted]),
    done: () => (settled.done = true),
  };
  const context = {
    service: { quota: {} },
    proofs,
    authorization: AUTHORIZATION,
    tokenKey: undefined,
  } as unknown as CallContext;
  settleBudget(
    context,
    [grant],
    answers.map(([status, retryAfterSeconds]) => ({ status, retryAfterSeconds })),
  );
  settled.provenAfter = proofs.isProven(AUTHORIZATION);
  return settled;
}

describe('settleBudget: an unproven token’s 429 gives its budget back and holds only the token', () => {
  it.each<[string, Array<[number | null, number?]>, boolean, Omit<Settled, 'done'>]>([
    // name, answers as [status, Retry-After s], proven before, what the grant was told
    ['a 2xx proves', [[204]], false, { released: 0, throttled: [], provenAfter: true }],
    ['a 401 gives back', [[401]], false, { released: 1, throttled: [], provenAfter: false }],
    [
      'unproven 429: back, the token held',
      [[429, 2]],
      false,
      { released: 1, throttled: [[2_000, false]], provenAfter: false },
    ],
    [
      'unproven 429 without Retry-After',
      [[429]],
      false,
      { released: 1, throttled: [[undefined, false]], provenAfter: false },
    ],
    [
      'proven 429: kept, the tenant held',
      [[429, 2]],
      true,
      { released: 0, throttled: [[2_000, true]], provenAfter: true },
    ],
    [
      'a $batch: both kinds of hold, the unproven 429s back',
      [[429], [429, 1], [401]],
      false,
      {
        released: 3,
        throttled: [
          [undefined, false],
          [1_000, false],
        ],
        provenAfter: false,
      },
    ],
    [
      'a $batch whose 2xx proves the token: its 429s trusted',
      [[200], [429, 1], [429, 3], [401]],
      false,
      { released: 1, throttled: [[3_000, true]], provenAfter: true },
    ],
    [
      'unproven 431 (a front end, before the token): back',
      [[431]],
      false,
      { released: 1, throttled: [], provenAfter: false },
    ],
    [
      'unproven 400, 408, 411, 413, 414: back, each',
      [[400], [408], [411], [413], [414]],
      false,
      { released: 5, throttled: [], provenAfter: false },
    ],
    [
      'proven 400: kept (Intune may have counted it)',
      [[400]],
      true,
      { released: 0, throttled: [], provenAfter: true },
    ],
    [
      'a $batch whose 404 proves the token: its 400 kept',
      [[404], [400]],
      false,
      { released: 0, throttled: [], provenAfter: true },
    ],
    [
      'a 503 proves nothing, keeps its budget',
      [[503]],
      false,
      { released: 0, throttled: [], provenAfter: false },
    ],
  ])('%s', (_name, answers, provenBefore, expected) => {
    expect(settle(answers, provenBefore)).toEqual({ ...expected, done: true });
  });
});

const LIMITS = CLIENT_LIMITS;
const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const CLAIMS = {
  tid: '11111111-1111-4111-8111-111111111111',
  appid: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
};
/** Tokens with the same tenant and app: they differ by `jti` only (or claim another tenant, `tid`). */
const bearer = (jti: string, tid = CLAIMS.tid) =>
  `Bearer ${encode({ alg: 'none' })}.${encode({ ...CLAIMS, tid, jti })}.sig`;
const WRITE: GraphRequest = {
  method: 'PATCH',
  path: '/deviceManagement/deviceConfigurations/c/userStatuses/s',
  variant: 'DEVICE_CONFIGURATION',
  target: 'item',
  body: { status: 'compliant' },
};

/**
 * The Graph service with a pacer, on the fake clock; Graph answers each token from its own script (then 204).
 * `sent` is what reached Graph: `<token> at <ms from T0>`.
 */
function gateway(
  scripts: Record<string, Array<[number, string?]>>,
  options: { tids?: Record<string, string>; tenantCap?: number; limits?: QuotaLimits } = {},
) {
  jest.useFakeTimers({ now: T0 });
  const sent: string[] = [];
  const transport: HttpTransport = {
    send: (request: HttpRequest) => {
      const who = /jti":"([^"]+)/.exec(
        Buffer.from(request.headers.Authorization!.split('.')[1]!, 'base64url').toString(),
      )![1]!;
      sent.push(`${who} at ${Date.now() - T0}`);
      const [status, retryAfter] = scripts[who]?.shift() ?? [204];
      const headers = retryAfter === undefined ? {} : { 'retry-after': retryAfter };
      const outcome: HttpOutcome = { ok: true, status, headers, body: '' };
      return Promise.resolve(outcome);
    },
    close: () => Promise.resolve(),
  };
  const service = createGraphService({
    baseUrl: 'https://graph.microsoft.com/beta',
    timeoutMs: 10_000,
    userAgent: 'test',
    retry: { maxRetries: 3, maxDelayMs: 10_000, baseDelayMs: 1_000 },
    transport,
    clock: systemClock,
    quota: createQuotaPacer({ limits: options.limits ?? LIMITS, random: () => 0 }),
    ...(options.tenantCap ? { tenantCap: { maxInFlight: options.tenantCap } } : {}),
  });
  const ended: string[] = [];
  const write = (who: string) =>
    service
      .client({
        authorization: bearer(who, options.tids?.[who]),
        clientRequestId: 'c',
        deadline: Date.now() + 5_000,
      })
      .request(WRITE)
      .then(
        () => ended.push(`${who} ok at ${Date.now() - T0}`),
        (error: unknown) => {
          const code = isGraphError(error) ? `${error.kind} ${error.retryAfterSeconds}` : error;
          ended.push(`${who} ${String(code)} at ${Date.now() - T0}`);
        },
      );
  return { write, sent, ended, close: () => service.close() };
}

afterEach(() => jest.useRealTimers());

describe('the Graph client and its pacer: 429s of unproven and proven tokens', () => {
  it('a forged token’s 429 (Retry-After 30 s) holds it alone: the genuine caller of its tenant goes at once', async () => {
    const { write, sent, ended, close } = gateway({ forged: [[429, '30']] });
    await write('genuine');
    await write('forged');
    await write('genuine');
    // Held for 30 s, past its 5 s deadline: refused without reaching Graph.
    await write('forged');
    expect(sent).toEqual(['genuine at 0', 'forged at 0', 'genuine at 0']);
    expect(ended).toEqual([
      'genuine ok at 0',
      'forged status 30 at 0',
      'genuine ok at 0',
      'forged quota 30 at 0',
    ]);
    await close();
  });

  it('a genuine new token’s first 429 (Retry-After 2 s): it waits 2 s, then its proven 429s hold the tenant', async () => {
    const { write, sent, ended, close } = gateway({ new: [[429, '2'], [204], [429, '1']] });
    await write('genuine');
    const retried = write('new');
    await jest.advanceTimersByTimeAsync(10);
    await write('genuine');
    await jest.advanceTimersByTimeAsync(2_000);
    await retried;
    // Proven by its 204: its next 429 holds the tenant and app for everyone.
    const held = write('new');
    await jest.advanceTimersByTimeAsync(10);
    const genuine = write('genuine');
    await jest.advanceTimersByTimeAsync(1_500);
    await Promise.all([held, genuine]);
    expect(sent).toEqual([
      'genuine at 0',
      'new at 0',
      'genuine at 10',
      'new at 2000',
      'new at 2010',
      // The tenant's hold ends at 3010, the retry's wait with it; then the release after a hold, one write per
      // step: the limit was halved to 5 by the 429 and is 6 after a quiet window, so the next step comes half a
      // gap (1000 / 6 ms) later with this jitter.
      'genuine at 3010',
      'new at 3093',
    ]);
    expect(ended).toEqual([
      'genuine ok at 0',
      'genuine ok at 10',
      'new ok at 2000',
      'genuine ok at 3010',
      'new ok at 3093',
    ]);
    await close();
  });
});

describe('a retry refused before it was sent', () => {
  it('a PATCH answered 503 whose retry has no budget: the 503, not THROTTLED "nothing sent" (it may be applied)', async () => {
    // One write per app and minute: the PATCH takes it, its retry has none before the 5 s deadline.
    const limits = { ...LIMITS, windowMs: 60_000, appWrites: 1 };
    const { write, sent, ended, close } = gateway({ a: [[503]] }, { limits });
    const written = write('a');
    await jest.advanceTimersByTimeAsync(5_000);
    await written;
    expect(sent).toEqual(['a at 0']);
    // Before: the retry's refusal ('quota'), as if nothing had been sent.
    // Its answer comes after the back-off (random jitter: the time is not the point).
    expect(ended).toEqual([expect.stringMatching(/^a status undefined at \d+$/)]);
    await close();
  });
});

describe('a token held by its own 429 waits before the tenant cap, not in it', () => {
  it('two forged tokens held 3 s, each calling again: a genuine new token of a third tenant goes at once', async () => {
    // Cap 2: one place per claimed tenant for unproven tokens, two for all of them together.
    const tids = {
      f1: '21000000-0000-4000-8000-000000000001',
      f2: '22000000-0000-4000-8000-000000000002',
      n: '23000000-0000-4000-8000-000000000003',
    };
    const { write, sent, ended, close } = gateway(
      { f1: [[429, '3'], [401], [401]], f2: [[429, '3'], [401], [401]] },
      { tids, tenantCap: 2 },
    );
    const calls = [write('f1'), write('f2')];
    await jest.advanceTimersByTimeAsync(0);
    // Each forged token calls again while held: before, those calls took both unproven places and held them 3 s.
    calls.push(write('f1'), write('f2'));
    await jest.advanceTimersByTimeAsync(0);
    calls.push(write('n'));
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(['f1 at 0', 'f2 at 0', 'n at 0']);
    expect(ended).toEqual(['n ok at 0']);
    await jest.advanceTimersByTimeAsync(10_000);
    await Promise.all(calls);
    // The held calls went once their holds were over, none before 3 s.
    expect(ended).toHaveLength(5);
    expect(sent.slice(3).every((line) => Number(line.split(' at ')[1]) >= 3_000)).toBe(true);
    await close();
  });
});
