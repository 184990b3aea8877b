import { createGraphService } from '../../src/graph/client/client';
import { systemClock } from '../../src/graph/client/retry-loop';
import { isGraphError } from '../../src/graph/errors';
import type { HttpOutcome, HttpRequest } from '../../src/graph/http/transport';
import { createHeldTransport } from '../helpers/held-transport';
import { createQuotaPacer } from '../../src/graph/quota';
import type { QuotaLimits } from '../../src/graph/quota';
import type { TenantCapHooks } from '../../src/graph/tenant-cap/lanes';
import type { BatchItem, GraphRequest } from '../../src/graph/types';

/**
 * The tenant cap and the quota budget together (src/graph/client/tenant-cap.ts, `takeTurn`): the whole Graph
 * client with a real pacer, on Jest's fake clock, and a cap of 2 unless said (one place per claimed tenant for
 * unproven tokens, two for all of them). An unproven call takes the place of its claimed tenant, then its budget, and only then a
 * place in the lanes all unproven tokens share: one waiting for its claimed tenant's budget holds nothing that
 * another tenant's new token needs. Whatever ends its turn before it is sent gives back what it took.
 */
const T0 = 50_000;
/** Two writes per app and window: two proven writes put a tenant at its budget for a second. */
const LIMITS: QuotaLimits = Object.freeze({
  windowMs: 1_000,
  appWrites: 2,
  tenantWrites: 40,
  appCalls: 100,
  tenantCalls: 200,
});
const APP = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
/** A tenant's GUID from its short name (up to 4 characters): `x1` claims `78310000-0000-4000-8000-000000000000`. */
const tidOf = (tenant: string) =>
  `${Buffer.from(tenant).toString('hex').padEnd(8, '0')}-0000-4000-8000-000000000000`;
const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** `who` is `<tenant>-<name>`: the token claims that tenant; a name starting `forged` gets Graph's 401. */
const bearer = (who: string) => {
  const claims = { tid: tidOf(who.split('-')[0]!), appid: APP, jti: who };
  return `Bearer ${encode({ alg: 'none' })}.${encode(claims)}.sig`;
};
const WRITE: GraphRequest & BatchItem = {
  method: 'PATCH',
  path: '/deviceManagement/deviceConfigurations/c/userStatuses/s',
  variant: 'DEVICE_CONFIGURATION',
  target: 'item',
  body: { status: 'compliant' },
};

/** Graph's answer: 401 to forged tokens, else 204; a `$batch` is a 200 envelope with one such answer per item. */
function answerTo(request: HttpRequest, who: string): HttpOutcome {
  const status = who.includes('forged') ? 401 : 204;
  if (!request.url.pathname.endsWith('/$batch')) return { ok: true, status, headers: {}, body: '' };
  const { requests } = JSON.parse(request.body!) as { requests: Array<{ id: string }> };
  const body = { responses: requests.map(({ id }) => ({ id, status, body: {} })) };
  return { ok: true, status: 200, headers: {}, body: JSON.stringify(body) };
}

/**
 * The Graph service with the pacer and a cap of `cap` (2: one place per claimed tenant for unproven tokens, two for
 * all of them; 16: two and sixteen). `sent`: `<who> at <ms from T0>` as each request reached Graph (`<who> ×n at …`
 * for a `$batch` of n); `ended`: each operation's end. Requests of the names in `holding` are held until `release`.
 */
function gateway(cap = 2, hooks?: TenantCapHooks) {
  jest.useFakeTimers({ now: T0 });
  const { transport, sent, holding, answer, release } = createHeldTransport(T0, answerTo);
  const service = createGraphService({
    baseUrl: 'https://graph.microsoft.com/beta',
    timeoutMs: 10_000,
    userAgent: 'test',
    retry: { maxRetries: 0, maxDelayMs: 10_000, baseDelayMs: 1_000 },
    transport,
    clock: systemClock,
    // As the gateway builds it: told the attempts' time (GRAPH_TIMEOUT_MS, the service's `timeoutMs`).
    quota: createQuotaPacer({ limits: LIMITS, random: () => 0, attemptTimeoutMs: 10_000 }),
    tenantCap: { maxInFlight: cap, ...(hooks ? { hooks } : {}) },
  });
  const ended: string[] = [];
  const client = (who: string, deadlineMs = 5_000) =>
    service.client({
      authorization: bearer(who),
      clientRequestId: 'c',
      deadline: Date.now() + deadlineMs,
    });
  const record = (who: string, operation: Promise<unknown>) =>
    operation.then(
      () => ended.push(`${who} ok at ${Date.now() - T0}`),
      (error: unknown) => ended.push(`${who} ${outcomeOf(error)} at ${Date.now() - T0}`),
    );
  const write = (who: string, deadlineMs?: number) =>
    record(who, client(who, deadlineMs).request(WRITE));
  const close = () => service.close();
  return { write, client, record, sent, ended, holding, answer, release, close };
}

/** What an operation ended with: `<kind> <retryAfterSeconds>` for a Graph error. */
function outcomeOf(error: unknown): string {
  return isGraphError(error) ? `${error.kind} ${error.retryAfterSeconds}` : String(error);
}

afterEach(() => jest.useRealTimers());

/** Two proven writes of `<tenant>-genuine`: its tenant is at its budget until a window from now. */
async function atBudget(write: (who: string) => Promise<unknown>, tenant: string) {
  await write(`${tenant}-genuine`);
  await write(`${tenant}-genuine`);
}

describe('an unproven call waiting for its claimed tenant’s budget holds no place all unproven tokens share', () => {
  it('forged tokens claiming two tenants at their budget: a genuine new token of a third tenant is sent at once', async () => {
    const { write, sent, ended, close } = gateway();
    await atBudget(write, 'x1');
    await atBudget(write, 'x2');
    // One forged write claiming each tenant at its budget: as many as the lanes all unproven tokens share (2).
    const forged = [write('x1-forged'), write('x2-forged')];
    await jest.advanceTimersByTimeAsync(0);
    const fresh = write('y-new');
    await jest.advanceTimersByTimeAsync(0);
    expect(sent.slice(4)).toEqual(['y-new at 0']);
    expect(ended.slice(4)).toEqual(['y-new ok at 0']);
    // The forged writes went when their tenants' budget freed (a window later), and were refused by Graph.
    await jest.advanceTimersByTimeAsync(2_000);
    await Promise.all([...forged, fresh]);
    expect(sent.slice(5).sort()).toEqual(['x1-forged at 1000', 'x2-forged at 1000']);
    expect(ended.slice(5).sort()).toEqual([
      'x1-forged status undefined at 1000',
      'x2-forged status undefined at 1000',
    ]);
    await close();
  });
});

/** `count` unproven writes held at Graph, of tenants `h0`, `h1`…, one each: they hold that many shared places. */
async function fillShared({ write, holding }: ReturnType<typeof gateway>, count: number) {
  for (let n = 0; n < count; n += 1) {
    holding.add(`h${n}-slow`);
    void write(`h${n}-slow`);
  }
  await jest.advanceTimersByTimeAsync(0);
}

/** Its budget back: both writes of the tenant's window go now (with the budget kept, the second would wait). */
async function budgetBack({ write, ended }: ReturnType<typeof gateway>, at: number) {
  const writes = [write('z-genuine')];
  await jest.advanceTimersByTimeAsync(0);
  writes.push(write('z-genuine'));
  await jest.advanceTimersByTimeAsync(0);
  expect(ended.slice(-2)).toEqual([`z-genuine ok at ${at}`, `z-genuine ok at ${at}`]);
  await Promise.all(writes);
}

const TWO_WRITES: BatchItem[] = [WRITE, { ...WRITE, path: `${WRITE.path}2` }];

describe('an unproven call that has its budget and ends without a shared place gives both back', () => {
  it('its deadline: THROTTLED in the words for unproven tokens, nothing sent', async () => {
    const refused: string[] = [];
    const setup = gateway(2, { refused: (lane) => refused.push(lane) });
    const { client, record, sent, ended, release, close } = setup;
    await fillShared(setup, 2);
    const call = client('z-forged', 500).request(WRITE);
    void record('z-forged', call);
    const message = call.catch((error: Error) => error.message);
    await jest.advanceTimersByTimeAsync(500);
    expect(ended).toEqual(['z-forged quota 1 at 500']);
    expect(await message).toMatch(
      /^Calls of bearer tokens Microsoft Graph has not accepted yet already hold every connection/,
    );
    expect(refused).toEqual(['unproven']);
    await release();
    expect(sent).toEqual(['h0-slow at 0', 'h1-slow at 0']);
    // Its claimed tenant's place is free too: the tenant's new token takes it at once.
    await budgetBack(setup, 500);
    await close();
  });

  it('its caller goes away: cancelled, nothing sent, its place in the tenant’s gate free (a `$batch` of 2 fills it)', async () => {
    const setup = gateway();
    const { client, sent, release, close } = setup;
    await fillShared(setup, 2);
    const gone = client('z-forged');
    const outcomes = gone.batch(TWO_WRITES);
    await jest.advanceTimersByTimeAsync(0);
    gone.end();
    const ends = (await outcomes).map((outcome) => (outcome.ok ? 'ok' : outcomeOf(outcome.error)));
    expect(ends).toEqual(['cancelled undefined', 'cancelled undefined']);
    await release();
    expect(sent).toEqual(['h0-slow at 0', 'h1-slow at 0']);
    // The gate for z's unproven writes has 2 places (5 % of 40), held until the attempt is over (`done`).
    await budgetBack(setup, 0);
    await close();
  });

  it('a `$batch` chunk: each of its items THROTTLED, the budget of all of them back', async () => {
    const setup = gateway();
    const { client, sent, release, close } = setup;
    await fillShared(setup, 2);
    const outcomes = client('z-forged', 500).batch(TWO_WRITES);
    await jest.advanceTimersByTimeAsync(500);
    const ends = (await outcomes).map((outcome) => (outcome.ok ? 'ok' : outcomeOf(outcome.error)));
    expect(ends).toEqual(['quota 1', 'quota 1']);
    await release();
    expect(sent).toEqual(['h0-slow at 0', 'h1-slow at 0']);
    await budgetBack(setup, 500);
    await close();
  });
});

describe('a budget held while its call waits for a shared place stays counted (review: it was sent over the limit)', () => {
  it('a window passes meanwhile: its tenant’s proven token gets one write of that window, not two', async () => {
    const { write, sent, holding, answer, release, close } = gateway();
    await write('z-genuine');
    // Two slow unproven calls of other tenants hold both shared places.
    holding.add('h0-slow');
    holding.add('h1-slow');
    const slow = [write('h0-slow'), write('h1-slow')];
    await jest.advanceTimersByTimeAsync(0);
    // A new token of z: its budget (z's second write of the window), then a wait for a shared place.
    const late = write('z-new');
    await jest.advanceTimersByTimeAsync(1_100);
    // A window after z's first write: its grant, counted from 0, would have freed its place at 1,000.
    const genuine = [write('z-genuine'), write('z-genuine')];
    await jest.advanceTimersByTimeAsync(100);
    await answer('h0-slow');
    await release();
    await jest.advanceTimersByTimeAsync(1_500);
    await Promise.all([late, ...genuine, ...slow]);
    const z = sent.filter((entry) => entry.startsWith('z-'));
    // At 1,200 only one of z's proven writes had budget: the new token's held the other place of the window.
    expect(z.slice(0, 3)).toEqual(['z-genuine at 0', 'z-genuine at 1100', 'z-new at 1200']);
    expect(z.slice(3).every((entry) => Number(entry.split(' at ')[1]) >= 1_900)).toBe(true);
    await close();
  });
});

describe('a token Graph accepts meanwhile goes on in its tenant’s lane (a cap of 16: 2 places per claimed tenant)', () => {
  it('accepted while its call waited for a shared place: the call leaves it for another tenant’s new token', async () => {
    const setup = gateway(16);
    const { write, sent, holding, answer, release, close } = setup;
    holding.add('z-new');
    const calls = [write('z-new')];
    await fillShared(setup, 15);
    // Its second call has its claimed tenant's place and its budget, and waits for a shared place.
    calls.push(write('z-new'));
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(16);
    // Its first call answered 204 proves the token: the second gets that shared place, and leaves it for z's lane.
    await answer('z-new');
    expect(sent.slice(16)).toEqual(['z-new at 0']);
    calls.push(write('w-new'));
    await jest.advanceTimersByTimeAsync(0);
    expect(sent.slice(17)).toEqual(['w-new at 0']);
    await release();
    await Promise.all(calls);
    await close();
  });

  it('accepted while its call waited for budget: the call takes its tenant’s place, no shared one', async () => {
    const setup = gateway(16);
    const { write, sent, holding, answer, release, close } = setup;
    holding.add('z-new');
    const calls = [write('z-new')];
    // Another token of z takes the window's second write: z's next write waits a window for budget.
    await write('z-other');
    calls.push(write('z-new'));
    await jest.advanceTimersByTimeAsync(0);
    await answer('z-new');
    await fillShared(setup, 16);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(sent.slice(0, 2)).toEqual(['z-new at 0', 'z-other at 0']);
    expect(sent.slice(18)).toEqual(['z-new at 1000']);
    await release();
    await Promise.all(calls);
    await close();
  });
});

describe('a `$batch` chunk that never sends gives its budget back', () => {
  it('its caller goes away as the chunk gets its shared place, before it sends: its budget and gate places back', async () => {
    // The moment the chunk gets its place (the lanes report it), its caller goes away: its retry loop stops before
    // sending anything, so no answer settles the turn's budget.
    let onPlace: (() => void) | undefined;
    const setup = gateway(2, { waiting: (_kind, change) => change === -1 && onPlace?.() });
    const { client, sent, answer, release, close } = setup;
    await fillShared(setup, 2);
    const gone = client('z-forged');
    const outcomes = gone.batch(TWO_WRITES);
    await jest.advanceTimersByTimeAsync(0);
    onPlace = () => gone.end();
    await answer('h0-slow');
    onPlace = undefined;
    const ends = (await outcomes).map((outcome) => (outcome.ok ? 'ok' : outcomeOf(outcome.error)));
    expect(ends).toEqual(['cancelled undefined', 'cancelled undefined']);
    await release();
    expect(sent).toEqual(['h0-slow at 0', 'h1-slow at 0']);
    await budgetBack(setup, 0);
    await close();
  });
});
