import { createEmulatorToken, startEmulator } from '../../emulator';
import type { Emulator, EmulatorSettingsPatch, OverLimit } from '../../emulator';
import { configurationId, userStatusId } from '../../emulator/store';
import { graphCall } from '../helpers/graph-call';
import type { GraphBatchBody, GraphErrorBody } from '../helpers/graph-call';

/**
 * Issue 23, point 6: the emulator's Intune mode throttles as strictly as Intune. Over real HTTP, with the clock the
 * tests move: a refused call counts against the window, calls made while throttled extend the throttle,
 * `Retry-After` comes in whole seconds and sometimes not at all. Friendly mode keeps Graph's documented leniency.
 */
const AUTH = {
  authorization: `Bearer ${createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], { tid: 't1', appid: 'a1' })}`,
};
const c = configurationId('windows10-general');
const path = `/deviceManagement/deviceConfigurations/${c}/userStatuses/${userStatusId('windows10-general', 0)}`;
const QUOTAS = { windowMs: 1000, appWrites: 3, tenantWrites: 5, appCalls: 6, tenantCalls: 10 };
const START = 1_000_000;
const clock = { now: START };
const draws: number[] = [];
let emulator: Emulator;

const patch = <Body = unknown>() =>
  graphCall<Body>('PATCH', `${emulator.baseUrl}${path}`, {
    body: { status: 'compliant' },
    headers: AUTH,
  });
/** A PATCH at `ms` after the start: its status and its Retry-After (null when absent). */
async function patchAt(ms: number): Promise<[number, string | null]> {
  clock.now = START + ms;
  const answer = await patch();
  return [answer.status, answer.headers.get('retry-after')];
}
const admin = <Body = unknown>(method: string, url: string, body?: unknown) =>
  graphCall<Body>(method, `${emulator.adminUrl}${url}`, { body });

beforeAll(async () => {
  emulator = await startEmulator({
    mode: 'intune',
    quotas: QUOTAS,
    now: () => clock.now,
    random: () => draws.shift() ?? 0.99,
  });
});
beforeEach(() => {
  emulator.reset();
  clock.now = START;
  draws.length = 0;
});
afterAll(() => emulator.close());

describe('a refused call counts against the window', () => {
  it.each<[string, EmulatorSettingsPatch, number]>([
    // Calls at 100, 200 and the refused one at 250 fill the window at 1000: Intune refuses.
    ['counted (Intune mode)', { throttle: 'window' }, 429],
    // Only the accepted calls at 100 and 200 are in it: friendly mode accepts.
    ['free (friendly mode)', { mode: 'friendly' }, 200],
  ])('%s', async (_name, settings, atOneSecond) => {
    emulator.configure(settings);
    // Accepted (Intune mode answers 204, friendly 200) at these times of the injected clock, not wall time.
    for (const ms of [0, 100, 200]) expect([200, 204]).toContain((await patchAt(ms))[0]);
    expect((await patchAt(250))[0]).toBe(429);
    expect((await patchAt(1000))[0]).toBe(atOneSecond);
    // As Intune counts (refused calls included), the call at 1000 is over the limit either way.
    expect(emulator.overLimit({ kind: 'write', tenant: 't1', app: 'a1' })).toEqual<OverLimit>({
      over: 2,
      byLimit: { appWrites: 2, tenantWrites: 0, appCalls: 0, tenantCalls: 0 },
    });
  });
});

describe('calls made while throttled extend the throttle', () => {
  it.each<[string, EmulatorSettingsPatch, Array<[number, [number, string | null]]>]>([
    [
      'Intune mode, the caller honours Retry-After: served at the time announced',
      {},
      [
        [250, [429, '1']],
        [1250, [204, null]],
      ],
    ],
    [
      'Intune mode, the caller calls meanwhile: still throttled at the time first announced',
      {},
      [
        [250, [429, '1']],
        [600, [429, '1']],
        [1250, [429, '1']],
        [2249, [429, '1']],
        [3249, [204, null]],
      ],
    ],
    [
      'friendly mode: the window alone decides, to the millisecond',
      { mode: 'friendly' },
      [
        [250, [429, '0.75']],
        [600, [429, '0.4']],
        [1000, [200, null]],
      ],
    ],
  ])('%s', async (_name, settings, steps) => {
    emulator.configure(settings);
    // Accepted (Intune mode answers 204, friendly 200) at these times of the injected clock, not wall time.
    for (const ms of [0, 100, 200]) expect([200, 204]).toContain((await patchAt(ms))[0]);
    const answers: Array<[number, [number, string | null]]> = [];
    for (const [ms] of steps) answers.push([ms, await patchAt(ms)]);
    expect(answers).toEqual(steps);
  });
});

describe('Retry-After', () => {
  it.each<[number, number, string, string]>([
    [1000, 250, '1', '0.75'],
    [2500, 100, '3', '2.4'],
    [1000, 999, '1', '0.001'],
  ])(
    'window %i ms, three calls at 0, refused at %i: Intune %s s (whole, rounded up), friendly %s s',
    async (windowMs, refusedAt, intune, friendly) => {
      const answers: Array<string | null> = [];
      for (const mode of ['intune', 'friendly'] as const) {
        emulator.reset();
        emulator.configure({ mode, quotas: { windowMs } });
        for (let index = 0; index < 3; index += 1) await patchAt(0);
        answers.push((await patchAt(refusedAt))[1]);
      }
      expect(answers).toEqual([intune, friendly]);
    },
  );

  it('is left out of the share of 429s set by retryAfterMissing (each 429 draws once)', async () => {
    emulator.configure({ retryAfterMissing: 0.5 });
    for (let index = 0; index < 3; index += 1) await patchAt(0);
    draws.push(0.2, 0.7, 0.49, 0.5);
    const headers: Array<string | null> = [];
    for (let index = 0; index < 4; index += 1) headers.push((await patchAt(10))[1]);
    expect(headers).toEqual([null, '1', null, '1']);
  });

  it.each<[string, EmulatorSettingsPatch]>([
    ['retryAfterMissing: 1', { retryAfterMissing: 1 }],
    ['throttleRetryAfter: false', { throttleRetryAfter: false, retryAfterMissing: 0 }],
  ])('is never sent with %s', async (_name, settings) => {
    emulator.configure(settings);
    for (let index = 0; index < 3; index += 1) await patchAt(0);
    const refused = await patch<GraphErrorBody>();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(refused.body.error.code).toBe('TooManyRequests');
  });

  it('follows the same rules in $batch items, each item drawing on its own', async () => {
    emulator.configure({ retryAfterMissing: 0.5 });
    draws.push(0.9, 0.1);
    const requests = [0, 1, 2, 3, 4].map((index) => ({
      id: String(index),
      method: 'PATCH',
      url: path,
      headers: { 'Content-Type': 'application/json' },
      body: { status: 'error' },
    }));
    const answer = await graphCall<GraphBatchBody>('POST', `${emulator.baseUrl}/$batch`, {
      body: { requests },
      headers: AUTH,
    });
    const items = answer.body.responses.sort((a, b) => Number(a.id) - Number(b.id));
    expect(items.map((item) => [item.status, item.headers['Retry-After'] ?? null])).toEqual([
      [204, null],
      [204, null],
      [204, null],
      [429, '1'],
      [429, null],
    ]);
  });
});

describe('settings and the admin API', () => {
  it('intune mode turns every strict rule on; friendly turns them off', async () => {
    const strict = { retryAfterFormat: 'seconds', refusedCalls: 'counted', throttle: 'hold' };
    expect(emulator.settings).toMatchObject({ ...strict, retryAfterMissing: 0 });
    const friendly = await admin<{ settings: object }>('PATCH', '/settings', { mode: 'friendly' });
    expect(friendly.body.settings).toMatchObject({
      retryAfterFormat: 'milliseconds',
      refusedCalls: 'free',
      throttle: 'window',
    });
  });

  it.each<[unknown, string]>([
    [{ retryAfterMissing: 2 }, 'retryAfterMissing must be a number from 0 to 1, got 2'],
    [{ retryAfterMissing: '0.5' }, 'retryAfterMissing must be a number from 0 to 1, got "0.5"'],
    [{ throttle: 'strict' }, 'throttle must be one of "window", "hold"'],
    [{ refusedCalls: 'yes' }, 'refusedCalls must be one of "free", "counted"'],
    [{ retryAfterFormat: 'ms' }, 'retryAfterFormat must be one of "milliseconds", "seconds"'],
  ])('refuses %j with a clear message, changing nothing', async (body, message) => {
    const answer = await admin<GraphErrorBody>('PATCH', '/settings', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain(message);
    expect(emulator.settings).toMatchObject({ retryAfterMissing: 0, throttle: 'hold' });
    expect(emulator.requests).toHaveLength(0);
  });

  it('counts the calls over the limit, and the window with refused calls', async () => {
    for (const ms of [0, 100, 200, 250, 600]) await patchAt(ms);
    const over = await admin<OverLimit & { quotas: object }>(
      'GET',
      '/calls/over-limit?kind=write&tenant=t1&app=a1',
    );
    expect(over.body).toEqual({
      over: 2,
      byLimit: { appWrites: 2, tenantWrites: 0, appCalls: 0, tenantCalls: 0 },
      quotas: { enabled: true, ...QUOTAS },
    });
    expect((await admin('GET', '/calls/over-limit?tenant=t2')).body).toMatchObject({ over: 0 });
    expect((await admin('GET', '/calls/max-in-window?kind=write&refused=include')).body).toEqual({
      max: 5,
      windowMs: 1000,
      kind: 'write',
      includeRefused: true,
    });
    expect((await admin('GET', '/calls/over-limit?kind=read')).status).toBe(400);
    expect((await admin('GET', '/calls/max-in-window?refused=maybe')).status).toBe(400);
  });
});
