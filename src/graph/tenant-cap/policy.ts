/**
 * How many Graph calls each tenant may have in flight at once in this process, and who counts as which tenant.
 * Pure: no clock, no state. The lanes (`lanes.ts`) enforce it; the client's step (`client/tenant-cap.ts`) asks it.
 *
 * Why a cap: every tenant's calls share one undici pool of DEFAULT_MAX_CONNECTIONS (256) connections to Graph's
 * origin (`http/routes.ts`), and a call over them queues inside undici behind every call already queued. One
 * tenant with 300 slow reads held the whole pool, and another tenant's read took 4.2 s instead of 10 ms. A call
 * (one HTTP attempt; a `$batch` envelope counts one, however many items it holds) now takes a place in its lane
 * first, and waits for one there, first come, first served, while its lane is full: the pool is reached by at most
 * a lane's cap of one tenant's calls.
 *
 * Why a quarter of the pool by default (64 of 256): a tenant alone still gets 64 calls at once, more than its Intune
 * quota keeps busy at Graph's usual latency (2,000 calls per 20 s is 100 per second: the cap binds only when its
 * calls take over 640 ms each), and the pool keeps three quarters free for everyone else however slow one tenant's
 * calls are. Each tenant
 * at its cap takes another quarter: four tenants with slow calls at once still fill the pool (a lower cap trades a
 * tenant's own throughput for room for more of them).
 *
 * Who is a tenant: the `tid` claim of the token (`quota/identity.ts`), never verified, so anyone can claim any
 * tenant. A cap per claimed tenant alone would let a forger take a victim's places (tokens claiming its tenant,
 * sent to slow ids), and would give a forger claiming a new tenant per call a new cap per call: the whole pool.
 * So only a token Graph has accepted (`TokenProofs`: an answer only a genuine token gets) counts in its tenant's
 * lane. Calls of tokens Graph has not accepted yet take a place in two lanes instead, both apart from every
 * tenant's: one per claimed tenant (an eighth of the cap: 8 at the default) before their quota budget, then, once
 * they have it, one for all of them together (the cap: 64). So what such calls hold, whatever they claim, is at
 * most one tenant's share of the pool; a genuine new token's first calls, whose answers will prove it, hold at most
 * 8 places of the 64 however slow they are; and a proven caller never waits behind them. What forgers can still
 * do is make a new token's first calls wait behind theirs (in the lanes for unproven tokens only); Graph answers a
 * forged token 401 within a round trip, so those places turn over fast. Forged calls waiting for their claimed
 * tenant's budget (a window, when it is used up) hold only a place among that tenant's unproven calls meanwhile.
 */
import type { QuotaIdentity } from '../quota/limits';
import { DEFAULT_MAX_CONNECTIONS } from '../http/types';

/** The share of the pool one tenant may hold: a quarter (see above). */
export const TENANT_SHARE_OF_POOL = 1 / 4;
/** The part of the cap one claimed tenant's unproven calls may hold together. */
export const UNPROVEN_SHARE_OF_CAP = 1 / 8;

/** The cap for a pool of `maxConnections`: a quarter of it, at least 1. */
export function defaultTenantCap(maxConnections = DEFAULT_MAX_CONNECTIONS): number {
  return Math.max(1, Math.floor(maxConnections * TENANT_SHARE_OF_POOL));
}

/** The default of GRAPH_TENANT_MAX_IN_FLIGHT: a quarter of the default pool, 64. */
export const DEFAULT_TENANT_CAP = defaultTenantCap();

/** Places of each lane, from the one setting. */
export interface TenantCapLimits {
  /** Calls of one tenant's proven tokens in flight at once (GRAPH_TENANT_MAX_IN_FLIGHT). */
  readonly perTenant: number;
  /** Calls of unproven tokens claiming one tenant, at once. */
  readonly unprovenPerTenant: number;
  /** Calls of unproven tokens, whatever they claim, at once. */
  readonly unproven: number;
}

/** The lanes' places for a cap of `perTenant` (a whole number of at least 1). */
export function tenantCapLimits(perTenant: number): TenantCapLimits {
  if (!Number.isSafeInteger(perTenant) || perTenant < 1)
    throw new RangeError(`the tenant cap must be a positive whole number, got ${perTenant}`);
  return Object.freeze({
    perTenant,
    unprovenPerTenant: Math.max(1, Math.floor(perTenant * UNPROVEN_SHARE_OF_CAP)),
    unproven: perTenant,
  });
}

/** `tenant`: a proven token's tenant; `unproven`: either lane of tokens Graph has not accepted yet. */
export type LaneKind = 'tenant' | 'unproven';

export interface Lane {
  /** Never token text: `tenant:` or `unproven:` and the claimed tenant (a GUID, or a hash), or `unproven`. */
  readonly key: string;
  readonly places: number;
  readonly kind: LaneKind;
}

/**
 * The lanes a call takes a place in: `beforeBudget` first, then its quota budget, then `afterBudget`. A proven
 * token's tenant lane comes before the budget. An unproven token's lane for its claimed tenant comes before it, the
 * lane all unproven tokens share after it: a call waiting for its claimed tenant's budget must hold no place that
 * every other tenant's new tokens need (`client/tenant-cap.ts` says why the rest stays before).
 */
export interface TurnLanes {
  readonly beforeBudget: readonly Lane[];
  readonly afterBudget: readonly Lane[];
}

const NONE: readonly Lane[] = [];

export function lanesFor(
  identity: QuotaIdentity,
  proven: boolean,
  limits: TenantCapLimits,
): TurnLanes {
  if (proven)
    return {
      beforeBudget: [
        { key: `tenant:${identity.tenant}`, places: limits.perTenant, kind: 'tenant' },
      ],
      afterBudget: NONE,
    };
  return {
    beforeBudget: [
      { key: `unproven:${identity.tenant}`, places: limits.unprovenPerTenant, kind: 'unproven' },
    ],
    afterBudget: [{ key: 'unproven', places: limits.unproven, kind: 'unproven' }],
  };
}
