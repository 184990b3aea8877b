import type { QuotaLimits } from './limits';
import { createMemoryQuotaStore } from './memory-store';
import {
  createResilientStore,
  DEFAULT_PROBE_INTERVAL_MS,
  DEFAULT_STORE_TIMEOUT_MS,
} from './resilient-store';
import type { ResilientResult, ResilientStore } from './resilient-store';
import { createReleaseCounter } from './store';
import type { QuotaGrant, QuotaOutcome, QuotaPacer, QuotaPacerOptions, QuotaTake } from './types';

const CANCELLED: QuotaOutcome = Object.freeze({ cancelled: true as const });

/** `setTimeout` that ends early (resolving `false`) when the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function checkLimits(limits: QuotaLimits): void {
  for (const [name, value] of Object.entries(limits))
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`quota limit ${name} must be a positive whole number, got ${value}`);
}

/** The caller's grant: `release()` is synchronous, never gives back more than was granted, and never throws. */
function toGrant(result: ResilientResult, waitedMs: number): QuotaGrant {
  const releasable = createReleaseCounter(result.granted);
  const release = (count?: number) => {
    const n = releasable.take(count);
    if (n > 0) void result.release(n);
  };
  return { granted: result.granted, waitedMs, at: result.at, shared: result.shared, release };
}

function unlimited(request: QuotaTake, now: number): QuotaOutcome {
  return {
    granted: Math.max(1, Math.floor(request.max)),
    waitedMs: 0,
    at: now,
    shared: false,
    release: () => {},
  };
}

/**
 * Paces Graph calls to Intune's published limits (see `limits.ts`): every attempt, single call or `$batch`
 * chunk, takes its budget here before it leaves. Never sending over the limit matters more than speed: Graph
 * says calls made while throttled extend the throttling.
 * https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling
 */
export function createQuotaPacer(options: QuotaPacerOptions): QuotaPacer {
  const { limits } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const hooks = options.hooks ?? {};
  if (limits) checkLimits(limits);
  const store: ResilientStore = createResilientStore({
    shared: options.store,
    local: createMemoryQuotaStore({ now }),
    hooks,
    now,
    timeoutMs: options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS,
    probeIntervalMs: options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS,
  });

  const take = async (request: QuotaTake, quota: QuotaLimits): Promise<QuotaOutcome> => {
    const started = now();
    const { cancellation } = request;
    const isCancelled = () => (cancellation ? cancellation.stopped !== null : false);
    const max = Math.max(1, Math.floor(request.max));
    for (;;) {
      if (isCancelled()) return CANCELLED;
      const result = await store.take({
        identity: request.identity,
        kind: request.kind,
        max,
        limits: quota,
      });
      const waitedMs = now() - started;
      if (result.granted > 0) {
        if (isCancelled()) {
          void result.release();
          return CANCELLED;
        }
        hooks.waited?.(waitedMs, request.kind);
        return toGrant(result, waitedMs);
      }
      if (now() + result.waitMs >= request.deadline) {
        hooks.waited?.(waitedMs, request.kind);
        hooks.refused?.(request.kind);
        return { refused: true, retryAfterMs: result.waitMs, waitedMs };
      }
      if (!(await sleep(result.waitMs, cancellation?.signal()))) return CANCELLED;
    }
  };

  return {
    take: (request) =>
      limits ? take(request, limits) : Promise.resolve(unlimited(request, now())),
    block(identity, untilEpochMs) {
      if (!limits) return;
      const durationMs = untilEpochMs - now();
      if (durationMs > 0) store.block(identity, durationMs);
    },
    close: () => store.close(),
  };
}
