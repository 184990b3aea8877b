import {
  DEFAULT_TENANT_CAP,
  defaultTenantCap,
  lanesFor,
  tenantCapLimits,
} from '../../src/graph/tenant-cap/policy';
import type { TenantCapLimits } from '../../src/graph/tenant-cap/policy';
import type { QuotaIdentity } from '../../src/graph/quota/limits';

/** The tenant cap's policy (src/graph/tenant-cap/policy.ts): pure, so every value is exact. */
const TENANT = '11111111-1111-4111-8111-111111111111';
const IDENTITY: QuotaIdentity = { tenant: TENANT, app: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' };

describe('the cap: a quarter of the pool, at least 1', () => {
  it.each([
    [256, 64],
    [100, 25],
    [7, 1],
    [4, 1],
    [3, 1],
    [1, 1],
  ])('a pool of %d connections: %d calls of a tenant at once', (pool, cap) => {
    expect(defaultTenantCap(pool)).toBe(cap);
  });

  it("GRAPH_TENANT_MAX_IN_FLIGHT's default is a quarter of undici's 256 connections", () => {
    expect(DEFAULT_TENANT_CAP).toBe(64);
  });
});

describe('the places of each lane, from the cap', () => {
  it.each<[number, TenantCapLimits]>([
    [64, { perTenant: 64, unprovenPerTenant: 8, unproven: 64 }],
    [256, { perTenant: 256, unprovenPerTenant: 32, unproven: 256 }],
    [16, { perTenant: 16, unprovenPerTenant: 2, unproven: 16 }],
    [15, { perTenant: 15, unprovenPerTenant: 1, unproven: 15 }],
    [1, { perTenant: 1, unprovenPerTenant: 1, unproven: 1 }],
  ])('a cap of %d', (cap, limits) => {
    expect(tenantCapLimits(cap)).toEqual(limits);
  });

  it.each([0, -1, 1.5, Number.NaN, Infinity])('a cap of %d is refused', (cap) => {
    expect(() => tenantCapLimits(cap)).toThrow(RangeError);
  });
});

describe('the lanes a call takes, before and after its quota budget', () => {
  const limits = tenantCapLimits(64);

  it.each([
    [
      'a proven token: its tenant only, before the budget',
      IDENTITY,
      true,
      {
        beforeBudget: [{ key: `tenant:${TENANT}`, places: 64, kind: 'tenant' }],
        afterBudget: [],
      },
    ],
    [
      'an unproven token: its claimed tenant among unproven ones before the budget, all unproven ones after it, never the tenant',
      IDENTITY,
      false,
      {
        beforeBudget: [{ key: `unproven:${TENANT}`, places: 8, kind: 'unproven' }],
        afterBudget: [{ key: 'unproven', places: 64, kind: 'unproven' }],
      },
    ],
    [
      'an opaque token (its tenant is the hash of the token), proven',
      { tenant: 'sha256:ab12', app: 'sha256:ab12' },
      true,
      {
        beforeBudget: [{ key: 'tenant:sha256:ab12', places: 64, kind: 'tenant' }],
        afterBudget: [],
      },
    ],
    [
      'an opaque token, unproven',
      { tenant: 'sha256:ab12', app: 'sha256:ab12' },
      false,
      {
        beforeBudget: [{ key: 'unproven:sha256:ab12', places: 8, kind: 'unproven' }],
        afterBudget: [{ key: 'unproven', places: 64, kind: 'unproven' }],
      },
    ],
  ] as const)('%s', (_name, identity, proven, lanes) => {
    expect(lanesFor(identity, proven, limits)).toEqual(lanes);
  });

  it('two apps of one tenant share its lane; another tenant has its own', () => {
    const otherApp = { ...IDENTITY, app: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb' };
    const otherTenant = { ...IDENTITY, tenant: '22222222-2222-4222-8222-222222222222' };
    const key = (identity: QuotaIdentity) => lanesFor(identity, true, limits).beforeBudget[0]!.key;
    expect(key(otherApp)).toBe(key(IDENTITY));
    expect(key(otherTenant)).not.toBe(key(IDENTITY));
  });
});
