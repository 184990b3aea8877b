import { replicaShare } from './limits';
import type { QuotaIdentity, QuotaLimits } from './limits';
import type { MemoryQuotaStore } from './memory-store';
import type { QuotaStore, QuotaStoreResult, QuotaStoreTake } from './store';
import type { QuotaHooks } from './types';

export const DEFAULT_STORE_TIMEOUT_MS = 200;
export const DEFAULT_PROBE_INTERVAL_MS = 1_000;

export interface ResilientStoreOptions {
  /** The shared store; without it everything is in-process. */
  readonly shared: QuotaStore | undefined;
  readonly local: MemoryQuotaStore;
  readonly hooks: QuotaHooks;
  readonly now: () => number;
  readonly timeoutMs: number;
  readonly probeIntervalMs: number;
  /** Replicas sharing the store: while it cannot be reached, this one paces to its share of each limit. */
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

export class QuotaStoreTimeoutError extends Error {
  constructor(ms: number) {
    super(`quota store did not answer within ${ms} ms`);
    this.name = 'QuotaStoreTimeoutError';
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QuotaStoreTimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function localResult(result: QuotaStoreResult): ResilientResult {
  const { granted, waitMs, at, shortOf, release } = result;
  return { granted, waitMs, at, shortOf, release, shared: false };
}

/**
 * `replicaShare`, one object per limits object: `quotaWindows` and the in-process store cache by it, so every
 * take must get the same one.
 */
function shareCache(replicas: number): (limits: QuotaLimits) => QuotaLimits {
  if (replicas <= 1) return (limits) => limits;
  const shares = new WeakMap<QuotaLimits, QuotaLimits>();
  return (limits) => {
    let share = shares.get(limits);
    if (!share) shares.set(limits, (share = replicaShare(limits, replicas)));
    return share;
  };
}

/**
 * Redis must never fail or hold up a request: each call is bounded, a failure switches this replica to its
 * in-process windows (one `fallback(true)`), and a background ping every `probeIntervalMs` switches it back
 * (one `fallback(false)`). Shared grants are mirrored in-process, so a replica that falls back still knows what
 * it sent itself in the current window.
 *
 * Falling back, a replica sees only its own calls: with the full limits, N replicas could together send N times
 * Intune's. So it paces to its share (`replicaShare`) until the shared store is back. Without a shared store at
 * all (one replica, in-process) the limits are the full ones.
 */
export function createResilientStore(options: ResilientStoreOptions): ResilientStore {
  const { shared, local, hooks } = options;
  let fallingBack = false;
  let probing = false;
  let lastProbe = 0;
  const shareOf = shareCache(options.replicas);
  /** In-process, in place of the shared store: this replica's share. */
  const takeAlone = (request: QuotaStoreTake) =>
    localResult(local.takeNow({ ...request, limits: shareOf(request.limits) }));

  const fail = (error: unknown) => {
    hooks.storeError?.(error);
    if (fallingBack) return;
    fallingBack = true;
    lastProbe = options.now();
    hooks.fallback?.(true);
  };

  const probe = () => {
    if (!shared || probing || options.now() - lastProbe < options.probeIntervalMs) return;
    probing = true;
    lastProbe = options.now();
    withTimeout(shared.ping(), options.timeoutMs).then(
      () => {
        probing = false;
        if (!fallingBack) return;
        fallingBack = false;
        hooks.fallback?.(false);
      },
      (error: unknown) => {
        probing = false;
        hooks.storeError?.(error);
      },
    );
  };

  const sharedRelease =
    (result: QuotaStoreResult, mirror: QuotaStoreResult) => async (count?: number) => {
      await mirror.release(count);
      await withTimeout(result.release(count), options.timeoutMs).catch(fail);
    };

  const takeShared = async (store: QuotaStore, request: QuotaStoreTake) => {
    let result: QuotaStoreResult;
    try {
      result = await withTimeout(store.take(request), options.timeoutMs);
    } catch (error) {
      fail(error);
      return takeAlone(request);
    }
    if (result.granted === 0) return { ...result, shared: true };
    const mirror = local.takeNow({ ...request, max: result.granted });
    return { ...result, shared: true, release: sharedRelease(result, mirror) };
  };

  return {
    async take(request) {
      if (!shared) return localResult(local.takeNow(request));
      if (fallingBack) {
        probe();
        return takeAlone(request);
      }
      return takeShared(shared, request);
    },
    block(identity, durationMs) {
      local.blockNow(identity, durationMs);
      if (!shared || fallingBack) return;
      withTimeout(shared.block(identity, durationMs), options.timeoutMs).catch(fail);
    },
    async close() {
      await Promise.allSettled([shared?.close(), local.close()]);
    },
  };
}
