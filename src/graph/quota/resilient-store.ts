import type { QuotaIdentity } from './limits';
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
 * Redis must never fail or hold up a request: each call is bounded, a failure switches this replica to its
 * in-process windows (one `fallback(true)`), and a background ping every `probeIntervalMs` switches it back
 * (one `fallback(false)`). Shared grants are mirrored in-process, so a replica that falls back still knows what
 * it sent itself in the current window.
 */
export function createResilientStore(options: ResilientStoreOptions): ResilientStore {
  const { shared, local, hooks } = options;
  let fallingBack = false;
  let probing = false;
  let lastProbe = 0;

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
      return localResult(local.takeNow(request));
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
        return localResult(local.takeNow(request));
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
