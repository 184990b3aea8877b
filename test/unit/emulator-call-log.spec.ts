import { maxInWindow, overLimit } from '../../emulator/call-log';
import type { OverLimit, OverLimitQuery, QuotaCall } from '../../emulator/call-log';
import type { QuotaLimitName } from '../../emulator/quota';

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

describe('maxInWindow, refused calls included', () => {
  const calls = [call(0), call(100), call(999), call(1000), call(1002, { refused: true })];
  it.each<[string, Parameters<typeof maxInWindow>[1], number]>([
    ['accepted only (default)', { windowMs: 1000 }, 3],
    ['with includeRefused', { windowMs: 1000, includeRefused: true }, 4],
  ])('%s → %d', (_name, query, expected) => {
    expect(maxInWindow(calls, query)).toBe(expected);
  });
});

const read = (at: number, overrides: Partial<QuotaCall> = {}) =>
  call(at, { method: 'GET', kind: 'read', ...overrides });
const QUOTAS = { windowMs: 1000, appWrites: 2, tenantWrites: 3, appCalls: 4, tenantCalls: 5 };
const over = (count: number, byLimit: Partial<Record<QuotaLimitName, number>> = {}): OverLimit => ({
  over: count,
  byLimit: { appWrites: 0, tenantWrites: 0, appCalls: 0, tenantCalls: 0, ...byLimit },
});
const FULL_TENANT = [
  call(0, { app: 'a2' }),
  call(1, { app: 'a3' }),
  call(2, { app: 'a4' }),
  call(3),
];
const MIXED = [call(0), call(1), read(2), read(3), read(4)];
const TWO_TENANTS = [
  call(0),
  call(10),
  call(20),
  call(30, { tenant: 't2' }),
  call(31, { tenant: 't2' }),
  call(32, { tenant: 't2' }),
];

describe('overLimit: the calls over the limits as Intune counts them', () => {
  it.each<[string, QuotaCall[], OverLimitQuery, OverLimit]>([
    ['nothing logged', [], {}, over(0)],
    [
      'three writes of one app in a window: the third',
      [call(0), call(10), call(20)],
      {},
      over(1, { appWrites: 1 }),
    ],
    ['a call leaves the window at t + windowMs', [call(0), call(10), call(1000)], {}, over(0)],
    [
      '…and not a millisecond before',
      [call(0), call(10), call(999)],
      {},
      over(1, { appWrites: 1 }),
    ],
    [
      'a refused call counts like any other',
      [call(0), call(10, { refused: true }), call(20)],
      {},
      over(1, { appWrites: 1 }),
    ],
    [
      'the order of the log does not matter',
      [call(20), call(10), call(0)],
      {},
      over(1, { appWrites: 1 }),
    ],
    ["apps of a tenant share the tenant's limit", FULL_TENANT, {}, over(1, { tenantWrites: 1 })],
    [
      "one app's calls, its tenant's window counting the others",
      FULL_TENANT,
      { tenant: 't1', app: 'a1' },
      over(1, { tenantWrites: 1 }),
    ],
    ['another app of the tenant: none of its calls is over', FULL_TENANT, { app: 'a2' }, over(0)],
    ['reads count against the call limits', MIXED, {}, over(1, { appCalls: 1 })],
    ['writes only', MIXED, { kind: 'write' }, over(0)],
    [
      'a call over two limits counts once, and under each limit',
      [call(0), call(1), call(2, { app: 'a2' }), call(3)],
      {},
      over(1, { appWrites: 1, tenantWrites: 1 }),
    ],
    ['every tenant', TWO_TENANTS, {}, over(2, { appWrites: 2 })],
    ['one tenant', TWO_TENANTS, { tenant: 't2' }, over(1, { appWrites: 1 })],
  ])('%s', (_name, calls, filter, expected) => {
    expect(overLimit(calls, QUOTAS, filter)).toEqual(expected);
  });
});
