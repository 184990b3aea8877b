import {
  INTUNE_QUOTAS,
  createQuotaLimiter,
  maxInWindow,
  parseQuotaPatch,
} from '../../emulator/quota';
import type { CallKind, QuotaCall, QuotaSettings } from '../../emulator/quota';

const A = { tenant: 't1', app: 'a1' };
const B = { tenant: 't1', app: 'a2' };
const OTHER_TENANT = { tenant: 't2', app: 'a1' };

function limiterAt(settings: Partial<QuotaSettings>) {
  const clock = { now: 0 };
  const limiter = createQuotaLimiter({
    settings: { ...INTUNE_QUOTAS, ...settings },
    now: () => clock.now,
  });
  return { clock, limiter };
}

describe('createQuotaLimiter', () => {
  it("defaults to Intune's published numbers", () => {
    expect(INTUNE_QUOTAS).toEqual({
      enabled: true,
      windowMs: 20_000,
      appWrites: 100,
      tenantWrites: 200,
      appCalls: 1000,
      tenantCalls: 2000,
    });
  });

  it('refuses the call past the limit with the exact time until budget frees up', () => {
    const { clock, limiter } = limiterAt({ windowMs: 1000, appWrites: 3 });
    for (const at of [0, 100, 200]) {
      clock.now = at;
      expect(limiter.take(A, 'write')).toEqual({ ok: true });
    }
    clock.now = 250;
    expect(limiter.take(A, 'write')).toEqual({ ok: false, retryAfterMs: 750, limit: 'appWrites' });
    clock.now = 999;
    expect(limiter.take(A, 'write')).toEqual({ ok: false, retryAfterMs: 1, limit: 'appWrites' });
    clock.now = 1000; // the call at 0 has left the window [1, 1000]
    expect(limiter.take(A, 'write')).toEqual({ ok: true });
    expect(limiter.take(A, 'write')).toEqual({ ok: false, retryAfterMs: 100, limit: 'appWrites' });
  });

  it('slides: budget comes back call by call, not all at once at a window boundary', () => {
    const { clock, limiter } = limiterAt({ windowMs: 1000, appWrites: 2 });
    clock.now = 0;
    limiter.take(A, 'write');
    clock.now = 600;
    limiter.take(A, 'write');
    clock.now = 1000;
    expect(limiter.take(A, 'write').ok).toBe(true); // the call at 0 left
    expect(limiter.take(A, 'write')).toEqual({ ok: false, retryAfterMs: 600, limit: 'appWrites' });
  });

  it.each<[string, Partial<QuotaSettings>, CallKind, typeof A, boolean]>([
    ['another app of the tenant under the per-app write limit', { appWrites: 2 }, 'write', B, true],
    ['another tenant', { appWrites: 2, tenantWrites: 2 }, 'write', OTHER_TENANT, true],
    ['another app once the tenant write limit is reached', { tenantWrites: 2 }, 'write', B, false],
    ['a read when only writes are used up', { appWrites: 2 }, 'read', A, true],
    ['a read once the per-app call limit is reached', { appCalls: 2 }, 'read', A, false],
    ['another app once the tenant call limit is reached', { tenantCalls: 2 }, 'read', B, false],
  ])('after two writes by t1/a1: %s → ok %s', (_name, settings, kind, caller, ok) => {
    const { limiter } = limiterAt({ windowMs: 1000, ...settings });
    limiter.take(A, 'write');
    limiter.take(A, 'write');
    expect(limiter.take(caller, kind).ok).toBe(ok);
  });

  it('names the limit that frees up last when several are reached', () => {
    const { clock, limiter } = limiterAt({ windowMs: 1000, appWrites: 1, tenantWrites: 2 });
    clock.now = 0;
    limiter.take(B, 'write');
    clock.now = 500;
    limiter.take(A, 'write');
    expect(limiter.take(A, 'write')).toEqual({ ok: false, retryAfterMs: 1000, limit: 'appWrites' });
    clock.now = 1000;
    expect(limiter.take(A, 'write')).toEqual({ ok: false, retryAfterMs: 500, limit: 'appWrites' });
  });

  it('a refused call costs nothing', () => {
    const { clock, limiter } = limiterAt({ windowMs: 1000, appWrites: 1 });
    limiter.take(A, 'write');
    clock.now = 500;
    expect(limiter.take(A, 'write').ok).toBe(false);
    clock.now = 1000;
    expect(limiter.take(A, 'write').ok).toBe(true);
  });

  it('takes nothing when disabled, and reset empties the windows', () => {
    const settings = { ...INTUNE_QUOTAS, windowMs: 1000, appWrites: 1, enabled: false };
    const limiter = createQuotaLimiter({ settings, now: () => 0 });
    expect([limiter.take(A, 'write').ok, limiter.take(A, 'write').ok]).toEqual([true, true]);
    settings.enabled = true; // read live
    expect(limiter.take(A, 'write').ok).toBe(true);
    expect(limiter.take(A, 'write').ok).toBe(false);
    limiter.reset();
    expect(limiter.take(A, 'write').ok).toBe(true);
  });
});

const call = (at: number, overrides: Partial<QuotaCall> = {}): QuotaCall => ({
  at,
  tenant: 't1',
  app: 'a1',
  method: 'PATCH',
  kind: 'write',
  path: '/x',
  batched: false,
  refused: false,
  ...overrides,
});

describe('maxInWindow', () => {
  const calls = [
    call(0),
    call(100),
    call(999),
    call(1000),
    call(1001, { kind: 'read', method: 'GET' }),
    call(1002, { refused: true }),
    call(1003, { app: 'a2' }),
    call(1004, { tenant: 't2' }),
  ];
  it.each<[string, Parameters<typeof maxInWindow>[1], number]>([
    ['nothing logged', { windowMs: 1000 }, 0],
    ['writes of t1/a1, 1000 ms', { windowMs: 1000, kind: 'write', tenant: 't1', app: 'a1' }, 3],
    ['any call of t1/a1, 1000 ms', { windowMs: 1000, tenant: 't1', app: 'a1' }, 4],
    ['writes of tenant t1, 1000 ms', { windowMs: 1000, kind: 'write', tenant: 't1' }, 4],
    ['any call of anyone, 1000 ms', { windowMs: 1000 }, 6],
    ['writes of t1/a1, 1001 ms', { windowMs: 1001, kind: 'write', tenant: 't1', app: 'a1' }, 4],
    ['writes of t1/a1, 1 ms', { windowMs: 1, kind: 'write', tenant: 't1', app: 'a1' }, 1],
    ['tenant t2', { windowMs: 1000, tenant: 't2' }, 1],
  ])('%s %j → %d', (name, query, expected) => {
    expect(maxInWindow(name === 'nothing logged' ? [] : calls, query)).toBe(expected);
  });

  it('does not care about the order of the log', () => {
    expect(maxInWindow([...calls].reverse(), { windowMs: 1000 })).toBe(6);
  });
});

describe('parseQuotaPatch', () => {
  it('accepts a partial change', () => {
    expect(parseQuotaPatch({ enabled: false, windowMs: 3000, appWrites: 10 })).toEqual({
      enabled: false,
      windowMs: 3000,
      appWrites: 10,
    });
  });

  it.each([
    [null, 'quotas must be a JSON object'],
    [{ enabled: 'no' }, 'quotas.enabled must be true or false'],
    [{ windowMs: 0 }, 'quotas.windowMs must be a whole number of at least 1, got 0'],
    [{ appWrites: 1.5 }, 'quotas.appWrites must be a whole number'],
    [{ perSecond: 3 }, 'unknown quota setting "perSecond"'],
  ])('%j → %s', (input, message) => {
    expect(() => parseQuotaPatch(input)).toThrow(message);
  });
});
