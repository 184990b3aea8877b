import { createGraphService } from '../../src/graph/client/client';
import { systemClock } from '../../src/graph/client/retry-loop';
import type { HttpOutcome, HttpTransport } from '../../src/graph/http/transport';
import type { AttemptEnd, QuotaGrant, QuotaPacer } from '../../src/graph/quota';
import type { GraphRequest } from '../../src/graph/types';

/**
 * What the Graph client tells a grant of how its attempt ended (`QuotaGrant.done(end)`, `AttemptEnd`): when Graph
 * began answering, or that the call was sent and not answered (it may still reach Graph), or never sent. The quota
 * counts the call from then (docs/quotas.md, "Calls that arrive late"). One attempt each (no retries), a stand-in
 * transport answering as the row says, a pacer that records what `done` was given.
 */
const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const TOKEN = `Bearer ${encode({ alg: 'none' })}.${encode({
  tid: '11111111-1111-4111-8111-111111111111',
  appid: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
})}.sig`;
const WRITE: GraphRequest = {
  method: 'PATCH',
  path: '/deviceManagement/deviceConfigurations/c/userStatuses/s',
  variant: 'DEVICE_CONFIGURATION',
  target: 'item',
  body: { status: 'compliant' },
};

const answered = (status: number, answeringMs?: number): HttpOutcome => ({
  ok: true,
  status,
  headers: {},
  body: '',
  ...(answeringMs === undefined ? {} : { answeringMs }),
});
const failed = (failure: Exclude<HttpOutcome, { ok: true }>['failure'], sent: boolean) =>
  ({ ok: false, failure, sent, reason: 'test' }) as const;

/** What `done` was given, and how many calls were given back first. */
async function endOf(outcome: HttpOutcome): Promise<[Array<AttemptEnd | undefined>, number]> {
  const ends: Array<AttemptEnd | undefined> = [];
  let released = 0;
  const grant: QuotaGrant = {
    granted: 1,
    waitedMs: 0,
    at: 0,
    shared: false,
    release: (count = 1) => void (released += count),
    throttled: () => {},
    done: (end) => void ends.push(end),
  };
  const quota: QuotaPacer = {
    take: () => Promise.resolve(grant),
    tokenHeldUntil: () => 0,
    waitForToken: () => Promise.resolve(0),
    block: () => {},
    close: () => Promise.resolve(),
  };
  const transport: HttpTransport = {
    send: () => Promise.resolve(outcome),
    close: () => Promise.resolve(),
  };
  const service = createGraphService({
    baseUrl: 'https://graph.microsoft.com/beta',
    timeoutMs: 10_000,
    userAgent: 'test',
    retry: { maxRetries: 0, maxDelayMs: 1_000, baseDelayMs: 100 },
    transport,
    clock: systemClock,
    quota,
  });
  const client = service.client({
    authorization: TOKEN,
    clientRequestId: 'c',
    deadline: Date.now() + 5_000,
  });
  await client.request(WRITE).catch(() => undefined);
  await service.close();
  return [ends, released];
}

it.each<[string, HttpOutcome, AttemptEnd, number]>([
  ['answered: since its first byte', answered(204, 40), { answeredMsAgo: 40 }, 0],
  ['answered, by a transport that does not say when', answered(204), { answeredMsAgo: 0 }, 0],
  ['answered with an error (Graph had it)', answered(503, 7), { answeredMsAgo: 7 }, 0],
  ['timed out after sending', failed('timeout', true), 'unanswered', 0],
  ['its caller went away after sending', failed('cancelled', true), 'unanswered', 0],
  ['reset after sending', failed('connection', true), 'unanswered', 0],
  ['never connected: its budget back', failed('connection', false), 'unsent', 1],
  ['cancelled before a connection: its budget back', failed('cancelled', false), 'unsent', 1],
  ['an answer too large: Graph answered', failed('too-large', true), { answeredMsAgo: 0 }, 0],
  ['a broken body: Graph answered', failed('broken-body', true), { answeredMsAgo: 0 }, 0],
])('%s', async (_name, outcome, end, released) => {
  expect(await endOf(outcome)).toEqual([[end], released]);
});
