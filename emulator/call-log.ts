import { QUOTA_LIMIT_NAMES, windowsFor } from './quota';
import type { CallKind, QuotaLimitName, QuotaSettings } from './quota';

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

/** Which calls of the log a question is about. */
export interface CallFilter {
  /** `write`: writes only; `any` (default): every method. */
  readonly kind?: 'write' | 'any';
  readonly tenant?: string;
  readonly app?: string;
}

export interface WindowQuery extends CallFilter {
  readonly windowMs: number;
  /** Count refused calls too, as Graph does (default: accepted calls only). */
  readonly includeRefused?: boolean;
}

const matches = (call: QuotaCall, filter: CallFilter): boolean =>
  (filter.kind !== 'write' || call.kind === 'write') &&
  (filter.tenant === undefined || call.tenant === filter.tenant) &&
  (filter.app === undefined || call.app === filter.app);

/**
 * The largest number of accepted calls (with `includeRefused`, of all calls) of a kind in any window of `windowMs`
 * (`[t, t + windowMs)`), for one tenant, one app of a tenant, or everyone: what "the window was never exceeded" is
 * checked against.
 */
export function maxInWindow(calls: readonly QuotaCall[], query: WindowQuery): number {
  const times = calls
    .filter((call) => (query.includeRefused || !call.refused) && matches(call, query))
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

export type OverLimitQuery = CallFilter;

export interface OverLimit {
  /** Calls that arrived when one of their windows already held its limit, counting every call before them. */
  readonly over: number;
  /** The same calls by the limit they were over (a call over two limits is in both). */
  readonly byLimit: Readonly<Record<QuotaLimitName, number>>;
}

/**
 * The calls over Intune's limits as Intune counts them: every call (accepted or refused: a refused call counts,
 * https://learn.microsoft.com/graph/throttling) in order, and a call is over when any of its windows
 * (`(t − windowMs, t]`, per app per tenant and per tenant) already held its limit. 0 means Intune, counting this
 * way, would have refused nothing. `filter` picks the calls reported; the windows always count every call.
 */
export function overLimit(
  calls: readonly QuotaCall[],
  quotas: Omit<QuotaSettings, 'enabled'>,
  filter: OverLimitQuery = {},
): OverLimit {
  const byLimit = Object.fromEntries(QUOTA_LIMIT_NAMES.map((name) => [name, 0])) as Record<
    QuotaLimitName,
    number
  >;
  const windows = new Map<string, { times: number[]; oldest: number }>();
  let over = 0;
  // A stable sort: calls logged at the same millisecond stay in the order they were answered.
  for (const call of [...calls].sort((a, b) => a.at - b.at)) {
    const counted = matches(call, filter);
    let isOver = false;
    for (const [limit, key] of windowsFor(call, call.kind)) {
      const window = windows.get(key) ?? { times: [], oldest: 0 };
      windows.set(key, window);
      while (
        window.oldest < window.times.length &&
        window.times[window.oldest]! + quotas.windowMs <= call.at
      )
        window.oldest += 1;
      if (window.times.length - window.oldest >= quotas[limit]) {
        isOver = true;
        if (counted) byLimit[limit] += 1;
      }
      window.times.push(call.at);
    }
    if (isOver && counted) over += 1;
  }
  return { over, byLimit };
}
