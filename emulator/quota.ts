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
  | {
      readonly ok: false;
      /** The `Retry-After` announced: when a call is accepted again (whole seconds with `retryAfterFormat: seconds`). */
      readonly retryAfterMs: number;
      /** The limit that frees up last. */
      readonly limit: QuotaLimitName;
    };

export interface QuotaLimiter {
  /** Takes one call's budget, or says which limit is reached and when budget frees up. */
  take(caller: CallerIdentity, kind: CallKind): QuotaDecision;
  reset(): void;
}

/** How throttling behaves (part of the emulator's live settings, settings.ts): friendly, or as strict as Intune. */
export interface ThrottleRules {
  readonly refusedCalls: 'free' | 'counted';
  readonly throttle: 'window' | 'hold';
  readonly retryAfterFormat: 'milliseconds' | 'seconds';
}

export interface QuotaLimiterOptions {
  /** Read on every call, so changes apply at once. */
  readonly settings: QuotaSettings;
  /** Read on every call too. */
  readonly rules: ThrottleRules;
  readonly now: () => number;
}

/** The windows a call of `kind` by `caller` counts in: each one's limit and key. */
export function windowsFor(
  caller: CallerIdentity,
  kind: CallKind,
): Array<[QuotaLimitName, string]> {
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

interface Scope {
  readonly limit: QuotaLimitName;
  readonly key: string;
  /** The window's counted calls, oldest first. */
  readonly times: number[];
}

/**
 * Sliding windows in memory: the counted calls' times per key, oldest first. With `refusedCalls: counted` a refused
 * call counts too ("all requests accrue against your usage limits", https://learn.microsoft.com/graph/throttling);
 * with `throttle: hold` a limit that refused a call refuses every call until the Retry-After it announced, and each
 * call made meanwhile moves that end to its own refusal's Retry-After when that is later.
 */
export function createQuotaLimiter(options: QuotaLimiterOptions): QuotaLimiter {
  const windows = new Map<string, number[]>();
  const holds = new Map<string, number>();
  const timesOf = (key: string, now: number): number[] => {
    const times = windows.get(key) ?? [];
    windows.set(key, times);
    const expired = times.findIndex((at) => at + options.settings.windowMs > now);
    times.splice(0, expired < 0 ? times.length : expired);
    return times;
  };
  const heldUntil = (key: string) =>
    options.rules.throttle === 'hold' ? (holds.get(key) ?? 0) : 0;

  /** When every window of the call has room again (and no hold is left), and the limit that frees up last. */
  function freeAt(scopes: readonly Scope[], now: number): [number, QuotaLimitName] {
    let at = now;
    let limit = scopes[0]!.limit;
    for (const scope of scopes) {
      const max = options.settings[scope.limit];
      // Room comes back when the call that would be the window's oldest after the next one leaves it.
      const room =
        scope.times.length >= max
          ? scope.times[scope.times.length - max]! + options.settings.windowMs
          : now;
      const free = Math.max(room, heldUntil(scope.key));
      if (free > at) [at, limit] = [free, scope.limit];
    }
    return [at, limit];
  }

  return {
    take(caller, kind) {
      const { settings, rules } = options;
      if (!settings.enabled) return { ok: true };
      const now = options.now();
      const scopes = windowsFor(caller, kind).map(([limit, key]): Scope => ({
        limit,
        key,
        times: timesOf(key, now),
      }));
      const refusing = scopes.filter(
        (scope) => scope.times.length >= settings[scope.limit] || heldUntil(scope.key) > now,
      );
      if (refusing.length === 0 || rules.refusedCalls === 'counted')
        for (const scope of scopes) scope.times.push(now);
      if (refusing.length === 0) return { ok: true };
      const [at, limit] = freeAt(scopes, now);
      const retryAfterMs =
        rules.retryAfterFormat === 'seconds'
          ? Math.ceil((at - now) / 1000) * 1000
          : Math.ceil(at - now);
      if (rules.throttle === 'hold')
        for (const scope of refusing)
          holds.set(scope.key, Math.max(holds.get(scope.key) ?? 0, now + retryAfterMs));
      return { ok: false, retryAfterMs, limit };
    },
    reset: () => {
      windows.clear();
      holds.clear();
    },
  };
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
