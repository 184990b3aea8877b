import { MODE_PRESETS } from '../../emulator/settings';
import { INTUNE_QUOTAS, createQuotaLimiter, parseQuotaPatch } from '../../emulator/quota';
import type { CallKind, QuotaDecision, QuotaSettings, ThrottleRules } from '../../emulator/quota';

const A = { tenant: 't1', app: 'a1' };
const B = { tenant: 't1', app: 'a2' };
const OTHER_TENANT = { tenant: 't2', app: 'a1' };

const FRIENDLY: ThrottleRules = MODE_PRESETS.friendly;
const INTUNE: ThrottleRules = MODE_PRESETS.intune;

function limiterAt(settings: Partial<QuotaSettings>, rules: ThrottleRules = FRIENDLY) {
  const clock = { now: 0 };
  const limiter = createQuotaLimiter({
    settings: { ...INTUNE_QUOTAS, ...settings },
    rules,
    now: () => clock.now,
  });
  return { clock, limiter };
}

describe('createQuotaLimiter, friendly rules (refused calls free, no hold, Retry-After to the ms)', () => {
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
    const limiter = createQuotaLimiter({ settings, rules: INTUNE, now: () => 0 });
    expect([limiter.take(A, 'write').ok, limiter.take(A, 'write').ok]).toEqual([true, true]);
    settings.enabled = true; // read live
    expect(limiter.take(A, 'write').ok).toBe(true);
    expect(limiter.take(A, 'write').ok).toBe(false);
    limiter.reset();
    expect(limiter.take(A, 'write').ok).toBe(true);
  });
});

type Expected = 'ok' | [retryAfterMs: number, limit: string];
type Step = [at: number, caller: typeof A, kind: CallKind, expected: Expected];
const w = (at: number, expected: Expected, caller = A): Step => [at, caller, 'write', expected];

describe('createQuotaLimiter, each strict rule of Intune mode', () => {
  it.each<[string, Partial<ThrottleRules>, Partial<QuotaSettings>, Step[]]>([
    [
      'refused calls counted: the refused call takes a slot, so budget comes back one call later',
      { refusedCalls: 'counted' },
      {},
      [
        w(0, 'ok'),
        w(100, 'ok'),
        w(200, 'ok'),
        w(250, [850, 'appWrites']),
        w(1000, [200, 'appWrites']),
        w(1200, 'ok'),
      ],
    ],
    [
      "refused calls counted in every window of the call: A's refusals fill the tenant's window for B",
      { refusedCalls: 'counted' },
      { appWrites: 2, tenantWrites: 4 },
      [
        w(0, 'ok'),
        w(10, 'ok'),
        w(20, [990, 'appWrites']),
        w(30, [990, 'appWrites']),
        w(40, [970, 'tenantWrites'], B),
      ],
    ],
    [
      'refused calls free (friendly): B is served after the same refusals of A',
      {},
      { appWrites: 2, tenantWrites: 4 },
      [
        w(0, 'ok'),
        w(10, 'ok'),
        w(20, [980, 'appWrites']),
        w(30, [970, 'appWrites']),
        w(40, 'ok', B),
      ],
    ],
    [
      'Retry-After in whole seconds, rounded up; without a hold the window decides',
      { retryAfterFormat: 'seconds' },
      {},
      [
        w(0, 'ok'),
        w(100, 'ok'),
        w(200, 'ok'),
        w(250, [1000, 'appWrites']),
        w(999, [1000, 'appWrites']),
        w(1000, 'ok'),
      ],
    ],
    [
      'hold: a call at the announced time is accepted',
      { throttle: 'hold', retryAfterFormat: 'seconds' },
      {},
      [w(0, 'ok'), w(100, 'ok'), w(200, 'ok'), w(250, [1000, 'appWrites']), w(1250, 'ok')],
    ],
    [
      'hold: a call before the announced time is refused though the window has room, and moves the end',
      { throttle: 'hold', retryAfterFormat: 'seconds' },
      {},
      [
        w(0, 'ok'),
        w(100, 'ok'),
        w(200, 'ok'),
        w(250, [1000, 'appWrites']),
        w(1100, [1000, 'appWrites']),
        w(1250, [1000, 'appWrites']),
        w(2249, [1000, 'appWrites']),
        w(3249, 'ok'),
      ],
    ],
    [
      "Intune mode: calls made while throttled keep it throttled; the app's reads and another app's writes are not held",
      MODE_PRESETS.intune,
      {},
      [
        w(0, 'ok'),
        w(100, 'ok'),
        w(200, 'ok'),
        w(250, [1000, 'appWrites']),
        [300, A, 'read', 'ok'],
        w(310, 'ok', B),
        w(600, [1000, 'appWrites']),
        w(1250, [1000, 'appWrites']),
        w(2250, 'ok'),
      ],
    ],
  ])('%s', (_name, rules, settings, steps) => {
    const { clock, limiter } = limiterAt(
      { windowMs: 1000, appWrites: 3, ...settings },
      {
        ...FRIENDLY,
        ...rules,
      },
    );
    const answers = steps.map(([at, caller, kind]) => {
      clock.now = at;
      const decision: QuotaDecision = limiter.take(caller, kind);
      return decision.ok ? 'ok' : [decision.retryAfterMs, decision.limit];
    });
    expect(answers).toEqual(steps.map((step) => step[3]));
  });

  it('reads the rules live: switching the hold off lifts it at once', () => {
    const rules: ThrottleRules = { ...FRIENDLY, throttle: 'hold', retryAfterFormat: 'seconds' };
    const { clock, limiter } = limiterAt({ windowMs: 1000, appWrites: 1 }, rules);
    limiter.take(A, 'write');
    clock.now = 250;
    expect(limiter.take(A, 'write')).toEqual({ ok: false, retryAfterMs: 1000, limit: 'appWrites' });
    clock.now = 1000; // the window has room again, the hold lasts until 1250
    expect(limiter.take(A, 'write').ok).toBe(false);
    Object.assign(rules, { throttle: 'window' });
    expect(limiter.take(A, 'write').ok).toBe(true);
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
