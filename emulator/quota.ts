/**
 * Intune's published limits for device configuration, enforced per tenant and app with exact sliding windows.
 * https://learn.microsoft.com/graph/throttling-limits#intune-service-limits
 */
export type CallKind = 'read' | 'write';

export interface QuotaSettings {
  /** `false` accepts every call (the log still records them). */
  enabled: boolean;
  windowMs: number;
  /** POST/PUT/PATCH/DELETE per app per tenant in any window. */
  appWrites: number;
  /** POST/PUT/PATCH/DELETE per tenant, all apps together. */
  tenantWrites: number;
  /** Any method per app per tenant. */
  appCalls: number;
  /** Any method per tenant, all apps together. */
  tenantCalls: number;
}

export const INTUNE_QUOTAS: Readonly<QuotaSettings> = {
  enabled: true,
  windowMs: 20_000,
  appWrites: 100,
  tenantWrites: 200,
  appCalls: 1000,
  tenantCalls: 2000,
};

export const QUOTA_LIMIT_NAMES = ['appWrites', 'tenantWrites', 'appCalls', 'tenantCalls'] as const;
export type QuotaLimitName = (typeof QUOTA_LIMIT_NAMES)[number];

/** Who a call is charged to: the token's `tid`, and its `appid` (v1) or `azp` (v2). */
export interface CallerIdentity {
  readonly tenant: string;
  readonly app: string;
}

export type QuotaDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly retryAfterMs: number; readonly limit: QuotaLimitName };

export interface QuotaLimiter {
  /** Takes one call's budget, or says which limit is reached and when budget frees up. */
  take(caller: CallerIdentity, kind: CallKind): QuotaDecision;
  reset(): void;
}

export interface QuotaLimiterOptions {
  /** Read on every call, so changes apply at once. */
  readonly settings: QuotaSettings;
  readonly now: () => number;
}

function windowsFor(caller: CallerIdentity, kind: CallKind): Array<[QuotaLimitName, string]> {
  const scopes: Array<[QuotaLimitName, string]> = [
    ['appCalls', JSON.stringify(['calls', caller.tenant, caller.app])],
    ['tenantCalls', JSON.stringify(['calls', caller.tenant])],
  ];
  if (kind === 'write')
    scopes.push(
      ['appWrites', JSON.stringify(['writes', caller.tenant, caller.app])],
      ['tenantWrites', JSON.stringify(['writes', caller.tenant])],
    );
  return scopes;
}

/** Sliding windows in memory: the accepted calls' times per key, oldest first. */
export function createQuotaLimiter(options: QuotaLimiterOptions): QuotaLimiter {
  const windows = new Map<string, number[]>();
  const timesOf = (key: string, now: number): number[] => {
    const times = windows.get(key) ?? [];
    windows.set(key, times);
    const expired = times.findIndex((at) => at + options.settings.windowMs > now);
    times.splice(0, expired < 0 ? times.length : expired);
    return times;
  };
  return {
    take(caller, kind) {
      const { settings } = options;
      if (!settings.enabled) return { ok: true };
      const now = options.now();
      const scopes = windowsFor(caller, kind).map(
        ([limit, key]) => [limit, timesOf(key, now)] as const,
      );
      let refusal: QuotaDecision = { ok: true };
      for (const [limit, times] of scopes) {
        const max = settings[limit];
        if (times.length < max) continue;
        // Budget frees up when the call that would be the window's oldest after this one leaves it.
        const retryAfterMs = times[times.length - max]! + settings.windowMs - now;
        if (refusal.ok || retryAfterMs > refusal.retryAfterMs)
          refusal = { ok: false, retryAfterMs, limit };
      }
      if (refusal.ok) for (const [, times] of scopes) times.push(now);
      return refusal;
    },
    reset: () => windows.clear(),
  };
}

/** One call as the emulator's quota log keeps it (every call past authentication, `$batch` items one by one). */
export interface QuotaCall {
  readonly at: number;
  readonly tenant: string;
  readonly app: string;
  readonly method: string;
  readonly kind: CallKind;
  /** The path after the version root, without the query. */
  readonly path: string;
  /** Sent as an item of a `$batch`. */
  readonly batched: boolean;
  /** Answered 429 for lack of budget. */
  readonly refused: boolean;
  /** The status answered (set once the call is answered). */
  status?: number;
}

export interface WindowQuery {
  readonly windowMs: number;
  /** `write`: writes only; `any` (default): every method. */
  readonly kind?: 'write' | 'any';
  readonly tenant?: string;
  readonly app?: string;
}

/**
 * The largest number of accepted calls of a kind in any window of `windowMs` (`[t, t + windowMs)`), for one
 * tenant, one app of a tenant, or everyone: what "the window was never exceeded" is checked against.
 */
export function maxInWindow(calls: readonly QuotaCall[], query: WindowQuery): number {
  const times = calls
    .filter(
      (call) =>
        !call.refused &&
        (query.kind !== 'write' || call.kind === 'write') &&
        (query.tenant === undefined || call.tenant === query.tenant) &&
        (query.app === undefined || call.app === query.app),
    )
    .map((call) => call.at)
    .sort((a, b) => a - b);
  let max = 0;
  let end = 0;
  for (let start = 0; start < times.length; start += 1) {
    while (end < times.length && times[end]! < times[start]! + query.windowMs) end += 1;
    max = Math.max(max, end - start);
  }
  return max;
}

/** Reads a quota settings change; throws with a clear message on anything unknown or invalid. */
export function parseQuotaPatch(input: unknown): Partial<QuotaSettings> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new Error('quotas must be a JSON object');
  for (const [key, value] of Object.entries(input)) {
    if (key === 'enabled') {
      if (typeof value !== 'boolean') throw new Error('quotas.enabled must be true or false');
      continue;
    }
    if (key !== 'windowMs' && !(QUOTA_LIMIT_NAMES as readonly string[]).includes(key))
      throw new Error(
        `unknown quota setting "${key}" (known: enabled, windowMs, ${QUOTA_LIMIT_NAMES.join(', ')})`,
      );
    if (!Number.isInteger(value) || (value as number) < 1)
      throw new Error(
        `quotas.${key} must be a whole number of at least 1, got ${JSON.stringify(value)}`,
      );
  }
  return input;
}
