import { createFallbackLedger } from './fallback';
import type { QuotaIdentity } from '../limits';
import type { MemoryQuotaStore } from './memory-store';
import { QuotaStoreError } from '../store';
import type { QuotaStore, QuotaStoreResult, QuotaStoreTake, RecordedEntries } from '../store';
import type { QuotaHooks } from '../types';

/**
 * How long a take waits for Redis before this replica paces in-process. A busy Redis answers a take script in
 * milliseconds; what made answers slow under bursts was the replicas' own event loops, so the bound is generous:
 * a slow answer is not an outage (GRAPH_QUOTA_REDIS_TIMEOUT_MS).
 */
export const DEFAULT_STORE_TIMEOUT_MS = 1_000;
/** While falling back, how often this replica asks Redis whether it is back, on its own timer. */
export const DEFAULT_PROBE_INTERVAL_MS = 500;

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

export class QuotaStoreTimeoutError extends QuotaStoreError {
  constructor(readonly ms: number) {
    super(`timeout after ${ms} ms`, 'timeout');
    this.name = 'QuotaStoreTimeoutError';
  }
}

/**
 * Rejects after `ms` unless `promise` settled first. The rejection waits for a second timer, which Node runs only
 * after the loop has polled its sockets: when this replica's event loop was busy past the deadline, an answer that
 * arrived in time is read first rather than taken for a slow Redis.
 */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timer = setTimeout(() => reject(new QuotaStoreTimeoutError(ms)), 0).unref();
    }, ms).unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Any failure as a `QuotaStoreError`: its message is what the log line says, so nothing else is let through. */
function asStoreError(error: unknown): QuotaStoreError {
  if (error instanceof QuotaStoreError) return error;
  const words = error instanceof Error ? error.message.split('\n')[0]!.slice(0, 120) : typeof error;
  return new QuotaStoreError(`quota store failed: ${words}`, 'error', { cause: error });
}

function localResult(result: QuotaStoreResult): ResilientResult {
  const { granted, waitMs, at, shortOf, release, arrivedBy } = result;
  return { granted, waitMs, at, shortOf, release, arrivedBy, shared: false };
}

type State = 'shared' | 'fallback' | 'returning';

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
  let state: State = 'shared';
  /**
   * When the current outage began. A failure while returning starts a new one: windows this replica did not take
   * from meanwhile may have been filled by replicas already back on Redis.
   */
  let since = 0;
  let returnedAt = 0;
  let probing = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const stopProbing = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  const fail = (error: unknown) => {
    hooks.storeError?.(asStoreError(error));
    if (state === 'fallback' || closed) return;
    since = now();
    state = 'fallback';
    hooks.fallback?.(true);
    timer = setInterval(() => void probe(), options.probeIntervalMs);
    timer.unref();
  };
  // A dropped connection is an outage even if no take has failed yet (every call may be waiting for a window).
  shared?.watch?.((error) => fail(error));

  /** Blocks, then grants, into Redis; again for what was granted meanwhile, until nothing is left to write. */
  const writeBack = async (store: QuotaStore) => {
    const blocks = ledger.takeBlocks();
    try {
      for (const { identity, ms } of blocks)
        await withTimeout(store.block(identity, ms), timeoutMs);
    } catch (error) {
      for (const { identity, ms } of blocks) ledger.block(identity, now() + ms);
      throw error;
    }
    for (let from = 0; store.restore;) {
      const { records, next } = ledger.pending(from);
      if (records.length === 0) return;
      await withTimeout(store.restore(records), timeoutMs);
      from = next;
    }
  };

  const probe = async () => {
    if (!shared || probing || closed || state !== 'fallback') return;
    probing = true;
    try {
      await withTimeout(shared.ping(), timeoutMs);
      await writeBack(shared);
      if (closed || state !== 'fallback') return;
      stopProbing();
      state = 'returning';
      returnedAt = now();
      hooks.fallback?.(false);
    } catch (error) {
      hooks.storeError?.(asStoreError(error));
    } finally {
      probing = false;
    }
  };

  /** In-process, under the fallback rule; what it grants is remembered, to be written into Redis on its return. */
  const takeAlone = (request: QuotaStoreTake): ResilientResult => {
    const { limits, until } = ledger.limitsFor(request, since);
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
      const record = state === 'fallback' ? null : kept.record();
      if (shared?.restore && record)
        await withTimeout(shared.restore([record]), timeoutMs).catch(fail);
    };
    return { ...localResult(result), release, arrivedBy };
  };

  /**
   * The grant is mirrored in-process whatever the local windows say, and remembered to be written back: a release
   * or a late arrival changes all three.
   */
  const keep = (request: QuotaStoreTake, result: QuotaStoreResult, mirror: RecordedEntries) => {
    const kept = result.id ? ledger.remember(request, result.id, result.granted) : undefined;
    const release = async (count?: number) => {
      mirror.release(count);
      kept?.release(count);
      await withTimeout(result.release(count), timeoutMs).catch(fail);
    };
    const arrivedBy = async (beforeNowMs: number) => {
      mirror.arrivedBy(beforeNowMs);
      kept?.arrivedBy(beforeNowMs);
      if (result.arrivedBy) await withTimeout(result.arrivedBy(beforeNowMs), timeoutMs).catch(fail);
    };
    return { ...result, shared: true, release, arrivedBy };
  };

  const takeShared = async (store: QuotaStore, request: QuotaStoreTake) => {
    let result: QuotaStoreResult;
    try {
      result = await withTimeout(store.take(request), timeoutMs);
    } catch (error) {
      fail(error);
      return takeAlone(request);
    }
    if (result.granted === 0) {
      ledger.saw(request, result);
      return { ...result, shared: true };
    }
    const mirror = local.recordNow(request, result.granted);
    ledger.saw(request, result);
    return keep(request, result, mirror);
  };

  /**
   * Back on Redis, while other replicas may not have written theirs back yet: room under the fallback rule first
   * (recorded in-process, as the mirror), then in Redis for that much. Redis's counts are not sightings yet.
   */
  const takeReturning = async (store: QuotaStore, request: QuotaStoreTake) => {
    const { limits } = ledger.limitsFor(request, since);
    const allowed = local.takeNow({ ...request, limits });
    if (allowed.granted === 0) return takeAlone(request);
    let result: QuotaStoreResult;
    try {
      result = await withTimeout(store.take({ ...request, max: allowed.granted }), timeoutMs);
    } catch (error) {
      await allowed.release();
      fail(error);
      return takeAlone(request);
    }
    if (result.granted < allowed.granted) await allowed.release(allowed.granted - result.granted);
    if (result.granted === 0) return { ...result, shared: true };
    return keep(request, result, {
      release: (count) => void allowed.release(count),
      arrivedBy: (beforeNowMs) => void allowed.arrivedBy?.(beforeNowMs),
    });
  };

  return {
    async take(request) {
      if (!shared) return localResult(local.takeNow(request));
      if (state === 'returning' && now() - returnedAt >= returningMs) state = 'shared';
      if (state === 'fallback') return takeAlone(request);
      if (state === 'returning') return takeReturning(shared, request);
      return takeShared(shared, request);
    },
    block(identity, durationMs) {
      local.blockNow(identity, durationMs);
      if (!shared) return;
      const until = now() + durationMs;
      if (state === 'fallback') return ledger.block(identity, until);
      withTimeout(shared.block(identity, durationMs), timeoutMs).catch((error: unknown) => {
        ledger.block(identity, until);
        fail(error);
      });
    },
    async close() {
      closed = true;
      stopProbing();
      await Promise.allSettled([shared?.close(), local.close()]);
    },
  };
}
