import { createMemoryQuotaStore, quotaKeys, quotaWindows } from '../../src/graph/quota';
import type { QuotaIdentity, QuotaKind } from '../../src/graph/quota';
import { UNIT_LIMITS, A, A2, B } from '../helpers/quota';

function setup() {
  const clock = { now: 10_000 };
  const store = createMemoryQuotaStore({ now: () => clock.now });
  const take = (identity: QuotaIdentity, kind: QuotaKind, max = 1) =>
    store.takeNow({ identity, kind, max, limits: UNIT_LIMITS });
  return { clock, store, take };
}

describe('createMemoryQuotaStore', () => {
  it.each<[string, [QuotaIdentity, QuotaKind, number][], number, number]>([
    // name, earlier takes (identity, kind, max), then what one more write by A gets: granted, wait
    ['app writes cap at 2', [[A, 'write', 2]], 0, 1_000],
    ['a batch is cut to what fits', [[A, 'write', 1]], 1, 0],
    [
      'tenant writes cap at 3 across apps',
      [
        [A2, 'write', 2],
        [A, 'write', 1],
      ],
      0,
      1_000,
    ],
    ['reads count in the call windows only', [[A, 'read', 3]], 1, 0],
    [
      'app calls cap at 4, writes included',
      [
        [A, 'read', 3],
        [A, 'write', 1],
      ],
      0,
      1_000,
    ],
    [
      'tenant calls cap at 6 across apps',
      [
        [A2, 'read', 4],
        [A, 'read', 2],
      ],
      0,
      1_000,
    ],
    [
      'another tenant is independent',
      [
        [B, 'write', 2],
        [B, 'read', 2],
      ],
      2,
      0,
    ],
  ])('%s', (_name, earlier, granted, waitMs) => {
    const { take } = setup();
    for (const [identity, kind, max] of earlier)
      expect(take(identity, kind, max).granted).toBe(max);
    expect(take(A, 'write', 5)).toMatchObject({ granted, waitMs });
  });

  it.each<[string, [QuotaIdentity, QuotaKind, number][], QuotaKind, boolean, string[]]>([
    // name, earlier takes, the kind A takes next, whether A is blocked, what it was short of
    ['room: granted, short of nothing', [], 'write', false, []],
    ['its app write window', [[A, 'write', 2]], 'write', false, ['appWrites']],
    ['not a read', [[A, 'write', 2]], 'read', false, []],
    [
      'the tenant write window',
      [
        [A2, 'write', 2],
        [A, 'write', 1],
      ],
      'write',
      false,
      ['tenantWrites'],
    ],
    [
      'its app call window, and the write one',
      [
        [A, 'write', 2],
        [A, 'read', 2],
      ],
      'write',
      false,
      ['appWrites', 'appCalls'],
    ],
    ['a 429 block', [], 'read', true, ['block']],
  ])('names what a take was short of: %s', (_name, earlier, kind, blocked, shortOf) => {
    const { store, take } = setup();
    for (const [identity, what, max] of earlier) take(identity, what, max);
    if (blocked) store.blockNow(A, 1_000);
    expect(take(A, kind).shortOf).toEqual(shortOf);
  });

  it('a unit frees exactly one window after it was taken', () => {
    const { clock, take } = setup();
    expect(take(A, 'write').granted).toBe(1);
    clock.now += 400;
    expect(take(A, 'write').granted).toBe(1);
    clock.now += 1;
    expect(take(A, 'write')).toMatchObject({ granted: 0, waitMs: 599 });
    clock.now += 598;
    expect(take(A, 'write')).toMatchObject({ granted: 0, waitMs: 1 });
    clock.now += 1;
    expect(take(A, 'write')).toMatchObject({ granted: 1, waitMs: 0, at: 11_000 });
  });

  it('release gives back exactly what was taken, once', async () => {
    const { take } = setup();
    const first = take(A, 'write', 2);
    expect(take(A, 'write').granted).toBe(0);
    await first.release();
    await first.release();
    expect(take(A, 'write', 5).granted).toBe(2);
    expect(take(A, 'write').granted).toBe(0);
  });

  it('release(count) gives back part of a grant, never more than was granted', async () => {
    const { take } = setup();
    const batch = take(A, 'write', 2);
    await batch.release(1);
    expect(take(A, 'write', 5).granted).toBe(1);
    await batch.release(5);
    await batch.release();
    expect(take(A, 'write', 5).granted).toBe(1);
    expect(take(A, 'write').granted).toBe(0);
  });

  it("a take reports each window's live entries: after a grant, and when it had no room", () => {
    const { take } = setup();
    // UNIT_LIMITS: app writes 2, tenant writes 3, app calls 4, tenant calls 6, in that order.
    expect(take(A, 'write', 1).counts).toEqual([1, 1, 1, 1]);
    expect(take(A2, 'read', 2).counts).toEqual([2, 3]);
    expect(take(A, 'write', 5)).toMatchObject({ granted: 1, counts: [2, 2, 2, 4] });
    expect(take(A, 'write')).toMatchObject({ granted: 0, counts: [2, 2, 2, 4] });
  });

  it('recordNow records whatever the windows hold (a mirror), dated when asked, and releases it', () => {
    const { clock, store, take } = setup();
    const key = quotaKeys(A).window({ id: 'appWrites' });
    const request = { identity: A, kind: 'write' as const, max: 1, limits: UNIT_LIMITS };
    const { release } = store.recordNow(request, 5);
    expect(store.live(key, UNIT_LIMITS.windowMs)).toBe(5);
    expect(take(A, 'write')).toMatchObject({ granted: 0, waitMs: 1_000 });
    release(4);
    expect(store.live(key, UNIT_LIMITS.windowMs)).toBe(1);
    release(4);
    release();
    expect(store.live(key, UNIT_LIMITS.windowMs)).toBe(0);
    // Dated 600 ms ago: they leave the window 400 ms from now.
    store.recordNow(request, 2, clock.now - 600);
    expect(take(A, 'write')).toMatchObject({ granted: 0, waitMs: 400 });
    clock.now += 400;
    expect(store.live(key, UNIT_LIMITS.windowMs)).toBe(0);
    expect(store.live('igg:q:{nobody}:w', UNIT_LIMITS.windowMs)).toBe(0);
  });

  it.each<[string, number, number, object]>([
    // name, ms from the grant to arrivedBy, margin, what a write by A gets right after it
    ['a margin that covers the time since: nothing moves', 300, 500, { granted: 0, waitMs: 700 }],
    [
      'later than the margin: counted until a window from then',
      300,
      100,
      { granted: 0, waitMs: 900 },
    ],
    ['after the window swept them away: recorded again', 1_200, 100, { granted: 0, waitMs: 900 }],
  ])('arrivedBy: %s', async (_name, afterMs, marginMs, next) => {
    const { clock, store, take } = setup();
    const grant = take(A, 'write', 2);
    clock.now += afterMs;
    // Another identity's take runs the sweep, which drops A's log once every entry of it has expired.
    take(B, 'read');
    await grant.arrivedBy!(marginMs);
    expect(take(A, 'write')).toMatchObject(next);
    expect(store.stats().entries).toBeGreaterThanOrEqual(2);
  });

  it('a block holds the identity only, and a shorter block never cuts a longer one short', () => {
    const { clock, store, take } = setup();
    store.blockNow(A, 2_000);
    store.blockNow(A, 500);
    expect(take(A, 'read')).toMatchObject({ granted: 0, waitMs: 2_000 });
    expect(take(A2, 'read').granted).toBe(1);
    clock.now += 2_000;
    expect(take(A, 'read').granted).toBe(1);
  });

  it('drops idle keys and expired blocks once a window has passed', () => {
    const { clock, store, take } = setup();
    for (let i = 0; i < 50; i += 1) take({ tenant: `t${i}`, app: 'a' }, 'write');
    store.blockNow(A, 100);
    expect(store.stats()).toEqual({ keys: 50 * 4 + 1, entries: 50 * 4 });
    clock.now += 1_000;
    take(B, 'read');
    expect(store.stats()).toEqual({ keys: 2, entries: 2 });
  });

  it('keeps each log bounded by its limit however many takes it sees', () => {
    const { clock, store, take } = setup();
    let granted = 0;
    for (let i = 0; i < 2_000; i += 1) {
      clock.now += 7;
      granted += take(A, 'read', 3).granted;
    }
    // 14 s of takes: 4 app calls per second, the app window being the tighter one.
    expect(granted).toBe(14 * 4);
    // Two logs of at most 4 live entries each, plus at most 64 pruned ones each before they are cut off.
    expect(store.stats().keys).toBe(2);
    expect(store.stats().entries).toBeLessThanOrEqual(2 * (4 + 64 + 1));
    const grantedInLastWindow = Array.from({ length: 200 }, () => take(A, 'read', 4).granted);
    expect(grantedInLastWindow.reduce((sum, n) => sum + n, 0)).toBe(0);
  });

  it('keys name the tenant and app only, hashing anything unsafe', () => {
    const keys = quotaKeys(A);
    expect(keys.block).toBe(`igg:q:{${A.tenant}}:${A.app}:b`);
    const unsafe = quotaKeys({ tenant: 'eyJhbGciOi}{:secret', app: 'Bearer x' });
    expect(unsafe.block).toMatch(/^igg:q:\{sha256:[0-9a-f]{64}\}:sha256:[0-9a-f]{64}:b$/);
    expect(
      quotaWindows(UNIT_LIMITS, 'write').map((window) => [window.id, keys.window(window)]),
    ).toEqual([
      ['appWrites', `igg:q:{${A.tenant}}:${A.app}:w`],
      ['tenantWrites', `igg:q:{${A.tenant}}:w`],
      ['appCalls', `igg:q:{${A.tenant}}:${A.app}:c`],
      ['tenantCalls', `igg:q:{${A.tenant}}:c`],
    ]);
    expect(quotaWindows(UNIT_LIMITS, 'read').map((window) => window.id)).toEqual([
      'appCalls',
      'tenantCalls',
    ]);
    expect(quotaWindows(UNIT_LIMITS, 'write').map((window) => window.limit)).toEqual([2, 3, 4, 6]);
    // What a take of each kind needs room in: the block and its windows.
    expect(keys.needs('read')).toEqual([
      keys.block,
      `igg:q:{${A.tenant}}:${A.app}:c`,
      `igg:q:{${A.tenant}}:c`,
    ]);
    expect(keys.needs('write')).toHaveLength(5);
    expect(keys.of('tenantWrites')).toBe(`igg:q:{${A.tenant}}:w`);
    expect(keys.of('block')).toBe(keys.block);
  });
});
