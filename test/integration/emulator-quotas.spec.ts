import { INTUNE_QUOTAS, createEmulatorToken, startEmulator } from '../../emulator';
import type { Emulator, FaultRule, QuotaCall } from '../../emulator';
import { configurationId, userStatusId } from '../../emulator/store';
import { graphCall } from '../helpers/graph-call';
import type {
  EmulatorAdminState,
  GraphBatchBody,
  GraphErrorBody,
  GraphPage,
} from '../helpers/graph-call';

const SCOPES = ['DeviceManagementConfiguration.ReadWrite.All'];
const bearer = (tid: string, appid: string) => ({
  authorization: `Bearer ${createEmulatorToken(SCOPES, { tid, appid })}`,
});
const T1A1 = bearer('t1', 'a1');
const T1A2 = bearer('t1', 'a2');
const T1A3 = bearer('t1', 'a3');
const T2A1 = bearer('t2', 'a1');
const c = configurationId('windows10-general');
const status = (index: number) =>
  `/deviceManagement/deviceConfigurations/${c}/userStatuses/${userStatusId('windows10-general', index % 3)}`;

// Small numbers and a clock the tests move: every limit is reached in a few calls, and nothing sleeps.
const QUOTAS = { windowMs: 1000, appWrites: 3, tenantWrites: 5, appCalls: 6, tenantCalls: 10 };
const clock = { now: 1_000_000 };
let emulator: Emulator;

const patch = <Body = unknown>(auth: Record<string, string>, index = 0) =>
  graphCall<Body>('PATCH', `${emulator.baseUrl}${status(index)}`, {
    body: { status: 'compliant' },
    headers: auth,
  });
const get = (auth: Record<string, string>, index = 0) =>
  graphCall('GET', `${emulator.baseUrl}${status(index)}`, { headers: auth });
const admin = <Body = unknown>(method: string, path: string, body?: unknown) =>
  graphCall<Body>(method, `${emulator.adminUrl}${path}`, { body });

beforeAll(async () => {
  emulator = await startEmulator({ quotas: QUOTAS, now: () => clock.now });
});
beforeEach(() => {
  emulator.reset();
  clock.now = 1_000_000;
});
afterAll(() => emulator.close());

describe('emulator quotas', () => {
  it("are on by default with Intune's numbers", async () => {
    const plain = await startEmulator();
    try {
      expect(plain.quotas).toEqual(INTUNE_QUOTAS);
      expect(plain.settings.mode).toBe('friendly');
    } finally {
      await plain.close();
    }
  });

  it('refuse the write past the per-app limit with 429 and the exact Retry-After', async () => {
    for (let index = 0; index < 3; index += 1) expect((await patch(T1A1, index)).status).toBe(200);
    clock.now += 250;
    const refused = await patch<GraphErrorBody>(T1A1);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('0.75');
    expect(refused.body.error).toMatchObject({ code: 'TooManyRequests' });
    expect(refused.body.error.message).toContain('appWrites');
    clock.now += 750;
    expect((await patch(T1A1)).status).toBe(200);
    expect(emulator.maxInWindow({ kind: 'write', tenant: 't1', app: 'a1' })).toBe(3);
  });

  it('keep tenants independent, and apps of one tenant share its tenant limit', async () => {
    for (let index = 0; index < 3; index += 1) await patch(T1A1, index);
    expect((await patch(T1A1)).status).toBe(429);
    expect((await patch(T2A1)).status).toBe(200); // another tenant, same app id
    expect((await patch(T1A2)).status).toBe(200); // same tenant, another app: 4 of 5
    expect((await patch(T1A2)).status).toBe(200); // 5 of 5
    const tenantFull = await patch<GraphErrorBody>(T1A3);
    expect(tenantFull.status).toBe(429);
    expect(tenantFull.body.error.message).toContain('tenantWrites');
  });

  it('count reads against the call limits only', async () => {
    for (let index = 0; index < 3; index += 1) await patch(T1A1, index);
    expect((await get(T1A1)).status).toBe(200); // writes are used up, reads are not
    expect((await get(T1A1)).status).toBe(200);
    expect((await get(T1A1)).status).toBe(200); // 6 calls
    expect((await get(T1A1)).status).toBe(429);
    expect(emulator.maxInWindow({ tenant: 't1', app: 'a1' })).toBe(6);
  });

  it('count each $batch item (not the envelope) and refuse items with their own 429', async () => {
    const requests = [0, 1, 2, 3, 4].map((index) => ({
      id: String(index),
      method: 'PATCH',
      url: status(index),
      headers: { 'Content-Type': 'application/json' },
      body: { status: 'error' },
    }));
    const answer = await graphCall<GraphBatchBody>('POST', `${emulator.baseUrl}/$batch`, {
      body: { requests },
      headers: T1A1,
    });
    expect(answer.status).toBe(200);
    const items = answer.body.responses.sort((a, b) => Number(a.id) - Number(b.id));
    expect(items.map((item) => item.status)).toEqual([200, 200, 200, 429, 429]);
    expect(items[3]!.headers['Retry-After']).toBe('1');
    expect(emulator.calls.map((call) => [call.batched, call.refused, call.status])).toEqual([
      [true, false, 200],
      [true, false, 200],
      [true, false, 200],
      [true, true, 429],
      [true, true, 429],
    ]);
  });

  it('log every call past authentication with its caller, kind and outcome', async () => {
    await patch(T1A1);
    clock.now += 10;
    await get(T2A1);
    await graphCall('GET', `${emulator.baseUrl}${status(0)}`); // 401: never reaches the service
    await get({ authorization: 'Bearer opaque-token-0001' });
    expect(emulator.calls).toEqual([
      {
        at: 1_000_000,
        tenant: 't1',
        app: 'a1',
        method: 'PATCH',
        kind: 'write',
        path: status(0),
        batched: false,
        refused: false,
        status: 200,
      },
      {
        at: 1_000_010,
        tenant: 't2',
        app: 'a1',
        method: 'GET',
        kind: 'read',
        path: status(0),
        batched: false,
        refused: false,
        status: 200,
      },
      {
        at: 1_000_010,
        tenant: '(opaque)',
        app: '(opaque)',
        method: 'GET',
        kind: 'read',
        path: status(0),
        batched: false,
        refused: false,
        status: 200,
      },
    ]);
  });

  it('never let more calls of a kind through in any window than the limits, under a mixed load', async () => {
    const callers = [T1A1, T1A2, T2A1];
    let refused = 0;
    for (let index = 0; index < 120; index += 1) {
      clock.now += (index * 37) % 61; // 0–60 ms steps
      const caller = callers[index % 3]!;
      const answer = await (index % 4 === 0 ? get(caller, index) : patch(caller, index));
      if (answer.status === 429) refused += 1;
      else expect(answer.status).toBe(200);
    }
    expect(refused).toBeGreaterThan(0);
    for (const [tenant, app] of [
      ['t1', 'a1'],
      ['t1', 'a2'],
      ['t2', 'a1'],
    ] as const) {
      expect(emulator.maxInWindow({ kind: 'write', tenant, app })).toBe(QUOTAS.appWrites);
      expect(emulator.maxInWindow({ tenant, app })).toBeLessThanOrEqual(QUOTAS.appCalls);
    }
    expect(emulator.maxInWindow({ kind: 'write', tenant: 't1' })).toBe(QUOTAS.tenantWrites);
    expect(emulator.maxInWindow({ tenant: 't1' })).toBeLessThanOrEqual(QUOTAS.tenantCalls);
    expect(emulator.calls.filter((call) => call.refused)).toHaveLength(refused);
  });

  it('when off, accept everything; the log still shows what a window held', async () => {
    emulator.configure({ quotas: { enabled: false } });
    for (let index = 0; index < 5; index += 1) expect((await patch(T1A1, index)).status).toBe(200);
    expect(emulator.maxInWindow({ kind: 'write', tenant: 't1', app: 'a1' })).toBe(5);
  });

  it('without Retry-After when set so, and wrapped in Intune mode', async () => {
    emulator.configure({ mode: 'intune', throttleRetryAfter: false });
    for (let index = 0; index < 3; index += 1) expect((await patch(T1A1, index)).status).toBe(204);
    const bare = await patch(T1A1);
    expect(bare.status).toBe(429);
    expect(bare.headers.get('retry-after')).toBeNull();
    emulator.configure({ throttleRetryAfter: true });
    const wrapped = await patch<GraphErrorBody>(T1A1);
    expect(wrapped.headers.get('retry-after')).toBe('1');
    expect(wrapped.body.error.code).toBe('TooManyRequests');
    expect(JSON.parse(wrapped.body.error.message)).toMatchObject({ _version: 3 });
  });
});

describe('emulator call log', () => {
  it('holds at most callLogLimit calls, dropping the oldest tenth when full', async () => {
    const small = await startEmulator({ callLogLimit: 10, quotas: { enabled: false } });
    try {
      for (let index = 0; index < 11; index += 1)
        await graphCall('GET', `${small.baseUrl}${status(index)}`, { headers: T1A1 });
      expect(small.calls).toHaveLength(9);
      expect(small.requests).toHaveLength(11);
    } finally {
      await small.close();
    }
  });
});

describe('emulator admin API', () => {
  it('reads the call log and its window maximum', async () => {
    for (let index = 0; index < 4; index += 1) await patch(T1A1, index);
    await get(T2A1);
    const calls = await admin<{ calls: QuotaCall[] }>('GET', '/calls?tenant=t1&kind=write');
    expect(calls.status).toBe(200);
    expect(calls.body.calls).toHaveLength(4);
    expect(calls.body.calls[3]).toMatchObject({
      tenant: 't1',
      app: 'a1',
      refused: true,
      status: 429,
    });
    expect((await admin('GET', '/calls/max-in-window?kind=write&tenant=t1&app=a1')).body).toEqual({
      max: 3,
      windowMs: 1000,
      kind: 'write',
      includeRefused: false,
    });
    expect((await admin('GET', '/calls/max-in-window')).body).toEqual({
      max: 4,
      windowMs: 1000,
      kind: 'any',
      includeRefused: false,
    });
    expect((await admin<{ max: number }>('GET', '/calls/max-in-window?windowMs=1')).body.max).toBe(
      4,
    );
    expect((await admin('GET', '/calls/max-in-window?kind=read')).status).toBe(400);
  });

  it('switches mode and quotas at runtime, and validates', async () => {
    const changed = await admin<EmulatorAdminState>('PATCH', '/settings', {
      mode: 'intune',
      pageSize: 2,
      quotas: { appWrites: 1 },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.settings).toMatchObject({ mode: 'intune', pageSize: 2, top: 'ignore' });
    expect(changed.body.quotas).toEqual({ enabled: true, ...QUOTAS, appWrites: 1 });
    expect(emulator.settings.mode).toBe('intune');
    expect((await patch(T1A1)).status).toBe(204);
    expect((await patch(T1A1)).status).toBe(429);
    const list = await get(T2A1).then(() =>
      graphCall<GraphPage>(
        'GET',
        `${emulator.baseUrl}/deviceManagement/deviceConfigurations/${c}/userStatuses?$top=1`,
        { headers: T2A1 },
      ),
    );
    expect(list.body.value).toHaveLength(2);
    const invalid = await admin<GraphErrorBody>('PATCH', '/settings', { mode: 'strict' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toContain('mode must be one of');
    expect((await admin<EmulatorAdminState>('GET', '/settings')).body.settings.mode).toBe('intune');
  });

  it('resets, manages fault switches, and is never recorded as a Graph request', async () => {
    expect(
      (await admin('POST', '/faults', { spec: 'GET /userStatuses/ status=503 times=1' })).status,
    ).toBe(201);
    expect((await admin<{ faults: FaultRule[] }>('GET', '/faults')).body.faults).toEqual([
      { method: 'GET', path: '/userStatuses/', status: 503, times: 1 },
    ]);
    expect((await get(T1A1)).status).toBe(503);
    expect((await admin('POST', '/faults', { spec: 'GET * nonsense=1' })).status).toBe(400);
    await admin('POST', '/faults', { spec: '* * status=500' });
    expect((await admin('DELETE', '/faults')).status).toBe(204);
    expect((await get(T1A1)).status).toBe(200);
    expect(emulator.requests).toHaveLength(2);
    await admin('PATCH', '/settings', { mode: 'intune' });
    expect((await admin('POST', '/reset')).status).toBe(204);
    expect(emulator.requests).toHaveLength(0);
    expect(emulator.calls).toHaveLength(0);
    expect(emulator.settings.mode).toBe('friendly');
  });

  it.each([
    ['GET', '/nothing', 404, ''],
    ['DELETE', '/settings', 405, ''],
    ['PATCH', '/settings', 400, 'not json'],
  ])('%s %s → %i', async (method, path, expected, body) => {
    const response = await fetch(`${emulator.adminUrl}${path}`, {
      method,
      ...(body ? { body } : {}),
    });
    expect(response.status).toBe(expected);
  });
});
