/**
 * Microsoft's published Intune service limits for device configuration, which list
 * `deviceConfigurationUserStatus`: POST/PUT/PATCH/DELETE 100 requests per 20 s per app per tenant and 200 per
 * 20 s per tenant (all apps); any method 1,000 per 20 s per app per tenant and 2,000 per 20 s per tenant. Each
 * item of a `$batch` counts as one request.
 * https://learn.microsoft.com/graph/throttling-limits#intune-service-limits
 */
export interface QuotaLimits {
  /** Length of the sliding window, in milliseconds. */
  readonly windowMs: number;
  /** Writes per window for one app in one tenant. */
  readonly appWrites: number;
  /** Writes per window for one tenant, all apps together. */
  readonly tenantWrites: number;
  /** Calls of any method per window for one app in one tenant. */
  readonly appCalls: number;
  /** Calls of any method per window for one tenant, all apps together. */
  readonly tenantCalls: number;
}

export const INTUNE_QUOTA_LIMITS: QuotaLimits = Object.freeze({
  windowMs: 20_000,
  appWrites: 100,
  tenantWrites: 200,
  appCalls: 1_000,
  tenantCalls: 2_000,
});

/** Every limit, and the window, a whole number of at least 1: anything else is a configuration error. */
export function checkQuotaLimits(limits: QuotaLimits): void {
  for (const [name, value] of Object.entries(limits))
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`quota limit ${name} must be a positive whole number, got ${value}`);
}

/** A write (POST/PUT/PATCH/DELETE) counts in the write windows and in the call windows; a read only in the latter. */
export type QuotaKind = 'read' | 'write';

/** Who a call's budget belongs to. Claim values or hashes only: never token text. */
export interface QuotaIdentity {
  readonly tenant: string;
  readonly app: string;
}

/** Which limit a window counts against (a key of `QuotaLimits`). */
export type QuotaWindowId = 'appWrites' | 'tenantWrites' | 'appCalls' | 'tenantCalls';

/** What a take that got nothing was short of: a window with no room, or a 429 block in force. */
export type QuotaObstacle = QuotaWindowId | 'block';

/** One sliding window a call of some kind must fit in. `scope` says whose budget it is. */
export interface QuotaWindow {
  readonly id: QuotaWindowId;
  readonly scope: 'app' | 'tenant';
  readonly counts: 'writes' | 'calls';
  readonly limit: number;
}

const windowsCache = new WeakMap<QuotaLimits, Record<QuotaKind, readonly QuotaWindow[]>>();

/** The windows a call of this kind must fit in, in a fixed order (stores key them the same way). */
export function quotaWindows(limits: QuotaLimits, kind: QuotaKind): readonly QuotaWindow[] {
  let windows = windowsCache.get(limits);
  if (!windows) {
    const calls: QuotaWindow[] = [
      { id: 'appCalls', scope: 'app', counts: 'calls', limit: limits.appCalls },
      { id: 'tenantCalls', scope: 'tenant', counts: 'calls', limit: limits.tenantCalls },
    ];
    const writes: QuotaWindow[] = [
      { id: 'appWrites', scope: 'app', counts: 'writes', limit: limits.appWrites },
      { id: 'tenantWrites', scope: 'tenant', counts: 'writes', limit: limits.tenantWrites },
    ];
    windows = { read: calls, write: [...writes, ...calls] };
    windowsCache.set(limits, windows);
  }
  return windows[kind];
}

/**
 * One replica's share of the limits, for when it cannot see the others' calls (the shared store is down): each
 * limit divided by the number of replicas, rounded down so that the replicas together stay under the limit, but
 * at least 1 so that no replica stops altogether (with more replicas than a limit, they may then exceed it).
 * The window is the same.
 */
export function replicaShare(limits: QuotaLimits, replicas: number): QuotaLimits {
  const part = (limit: number) => Math.max(1, Math.floor(limit / Math.max(1, replicas)));
  return Object.freeze({
    windowMs: limits.windowMs,
    appWrites: part(limits.appWrites),
    tenantWrites: part(limits.tenantWrites),
    appCalls: part(limits.appCalls),
    tenantCalls: part(limits.tenantCalls),
  });
}
