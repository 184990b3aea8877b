import { createFallbackLedger } from './fallback';
import type { QuotaIdentity } from '../limits';
import type { MemoryQuotaStore } from './memory-store';
import type { QuotaStore, QuotaStoreResult, QuotaStoreTake, RecordedEntries } from '../store';
import type { QuotaHooks } from '../types';
import { fail, stopProbing, withTimeout } from './resilient-state';
import type { Resilience } from './resilient-state';

/**
 * How long a take waits for Redis before this replica paces in-process. A busy Redis answers a take script in
 * milliseconds; what made answers slow under bursts was the replicas' own event loops, so the bound is generous:
 * a slow answer is not an outage (GRAPH_QUOTA_REDIS_TIMEOUT_MS).
 */
export const DEFAULT_STORE_TIMEOUT_MS = 1_000;
/** While falling back, how often this replica asks Redis whether it is back, on its own timer. */
export const DEFAULT_PROBE_INTERVAL_MS = 500;

export { QuotaStoreTimeoutError } from './resilient-state';

export interface ResilientStoreOptions {
  /** The shared store; without it everything is in-process. */
  readonly shared: QuotaStore | undefined;
  readonly local: MemoryQuotaStore;
  readonly hooks: QuotaHooks;
  readonly now: () => number;
  readonly timeoutMs: number;
  readonly probeIntervalMs: number;
  /** Replicas sharing the store: while it cannot be reached, this one paces to its share (see `fallbackLimit`). */
  readonly replicas: number;
}

export interface ResilientResult extends QuotaStoreResult {
  readonly shared: boolean;
}

/** Takes and blocks that never fail: the shared store when it answers in time, the in-process one otherwise. */
export interface ResilientStore {
  take(request: QuotaStoreTake): Promise<ResilientResult>;
  block(identity: QuotaIdentity, durationMs: number): void;
  close(): Promise<void>;
}

function localResult(result: QuotaStoreResult): ResilientResult {
  const { granted, waitMs, at, shortOf, release, arrivedBy } = result;
  return { granted, waitMs, at, shortOf, release, arrivedBy, shared: false };
}

/** In-process, under the fallback rule; what it grants is remembered, to be written into Redis on its return. */
function takeAlone(r: Resilience, request: QuotaStoreTake): ResilientResult {
  const { ledger, local, now, shared, timeoutMs } = r;
  const { limits, until } = ledger.limitsFor(request, r.since);
  const result = local.takeNow({ ...request, limits });
  if (result.granted === 0) {
    const left = until - now();
    // When the rule changes (the window last seen has passed), the take may fit sooner than its own entries say.
    return {
      ...localResult(result),
      waitMs: left > 0 ? Math.min(result.waitMs, left) : result.waitMs,
    };
  }
  const kept = ledger.remember(request, ledger.nextId(), result.granted);
  // A release after the grant was written into Redis leaves it there: counted, never undercounted.
  const release = (count?: number) => (kept.release(count), result.release(count));
  const arrivedBy = async (beforeNowMs: number) => {
    kept.arrivedBy(beforeNowMs);
    await result.arrivedBy!(beforeNowMs);
    // Written into Redis already (this replica is back): the later date goes there too, raising what it holds.
    const record = r.state === 'fallback' ? null : kept.record();
    if (shared?.restore && record)
      await withTimeout(shared.restore([record]), timeoutMs).catch((error: unknown) =>
        fail(r, error),
      );
  };
  return { ...localResult(result), release, arrivedBy };
}

/**
 * The grant is mirrored in-process whatever the local windows say, and remembered to be written back: a release
 * or a late arrival changes all three.
 */
function keep(
  r: Resilience,
  request: QuotaStoreTake,
  result: QuotaStoreResult,
  mirror: RecordedEntries,
): ResilientResult {
  const { ledger, timeoutMs } = r;
  const kept = result.id ? ledger.remember(request, result.id, result.granted) : undefined;
  const release = async (count?: number) => {
    mirror.release(count);
    kept?.release(count);
    await withTimeout(result.release(count), timeoutMs).catch((error: unknown) => fail(r, error));
  };
  const arrivedBy = async (beforeNowMs: number) => {
    mirror.arrivedBy(beforeNowMs);
    kept?.arrivedBy(beforeNowMs);
    if (result.arrivedBy)
      await withTimeout(result.arrivedBy(beforeNowMs), timeoutMs).catch((error: unknown) =>
        fail(r, error),
      );
  };
  return { ...result, shared: true, release, arrivedBy };
}

async function takeShared(
  r: Resilience,
  store: QuotaStore,
  request: QuotaStoreTake,
): Promise<ResilientResult> {
  let result: QuotaStoreResult;
  try {
    result = await withTimeout(store.take(request), r.timeoutMs);
  } catch (error) {
    fail(r, error);
    return takeAlone(r, request);
  }
  if (result.granted === 0) {
    r.ledger.saw(request, result);
    return { ...result, shared: true };
  }
  const mirror = r.local.recordNow(request, result.granted);
  r.ledger.saw(request, result);
  return keep(r, request, result, mirror);
}

/**
 * Back on Redis, while other replicas may not have written theirs back yet: room under the fallback rule first
 * (recorded in-process, as the mirror), then in Redis for that much. Redis's counts are not sightings yet.
 */
async function takeReturning(
  r: Resilience,
  store: QuotaStore,
  request: QuotaStoreTake,
): Promise<ResilientResult> {
  const { limits } = r.ledger.limitsFor(request, r.since);
  const allowed = r.local.takeNow({ ...request, limits });
  if (allowed.granted === 0) return takeAlone(r, request);
  let result: QuotaStoreResult;
  try {
    result = await withTimeout(store.take({ ...request, max: allowed.granted }), r.timeoutMs);
  } catch (error) {
    await allowed.release();
    fail(r, error);
    return takeAlone(r, request);
  }
  if (result.granted < allowed.granted) await allowed.release(allowed.granted - result.granted);
  if (result.granted === 0) return { ...result, shared: true };
  return keep(r, request, result, {
    release: (count) => void allowed.release(count),
    arrivedBy: (beforeNowMs) => void allowed.arrivedBy?.(beforeNowMs),
  });
}

/** In-process, and in Redis: remembered to be written there on return if Redis cannot be reached or the write fails. */
function blockIn(r: Resilience, identity: QuotaIdentity, durationMs: number): void {
  const { local, shared, now, ledger } = r;
  local.blockNow(identity, durationMs);
  if (!shared) return;
  const until = now() + durationMs;
  if (r.state === 'fallback') return ledger.block(identity, until);
  withTimeout(shared.block(identity, durationMs), r.timeoutMs).catch((error: unknown) => {
    ledger.block(identity, until);
    fail(r, error);
  });
}

/**
 * Redis must never fail or hold up a request for long, and no grant may escape the shared windows:
 *
 * - **Shared.** Each take is bounded by `timeoutMs`. A grant is mirrored in-process and remembered (its entry
 *   names, for one window), and every answer's window counts are remembered as sightings. A take that timed out
 *   may still run in Redis later: it then counts there, never less than it should.
 * - **Fallback** (a take failed or timed out): this replica paces in-process to its share of what was left of each
 *   window as it last saw it (`fallbackLimit`), remembers what it grants, and probes Redis on its own timer
 *   (unref'd, every `probeIntervalMs`), not only when a call comes.
 * - **Returning** (Redis answered a probe): first every grant of the last window (in-process ones, and shared ones
 *   a restarted Redis lost) and every block is written into Redis, and only then does this replica take from it
 *   again. For `2 × probeIntervalMs + timeoutMs` more (the time every other replica needs to write back its own), a
 *   take needs room both in Redis and under the fallback rule.
 */
export function createResilientStore(options: ResilientStoreOptions): ResilientStore {
  const { shared, local, hooks, now, timeoutMs } = options;
  const ledger = createFallbackLedger({ local, now, replicas: options.replicas });
  const returningMs = 2 * options.probeIntervalMs + timeoutMs;
  const r: Resilience = {
    options,
    shared,
    local,
    hooks,
    now,
    timeoutMs,
    ledger,
    state: 'shared',
    since: 0,
    returnedAt: 0,
    probing: false,
    closed: false,
    timer: undefined,
  };
  // A dropped connection is an outage even if no take has failed yet (every call may be waiting for a window).
  shared?.watch?.((error) => fail(r, error));

  return {
    async take(request) {
      if (!shared) return localResult(local.takeNow(request));
      if (r.state === 'returning' && now() - r.returnedAt >= returningMs) r.state = 'shared';
      if (r.state === 'fallback') return takeAlone(r, request);
      if (r.state === 'returning') return takeReturning(r, shared, request);
      return takeShared(r, shared, request);
    },
    block(identity, durationMs) {
      blockIn(r, identity, durationMs);
    },
    async close() {
      r.closed = true;
      stopProbing(r);
      await Promise.allSettled([shared?.close(), local.close()]);
    },
  };
}
