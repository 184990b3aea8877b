import type { FallbackLedger } from './fallback';
import type { MemoryQuotaStore } from './memory-store';
import { QuotaStoreError } from '../store';
import type { QuotaStore } from '../store';
import type { QuotaHooks } from '../types';

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
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
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

export type State = 'shared' | 'fallback' | 'returning';

/** What the resilient store's parts share: its stores and settings, and its state (see `createResilientStore`). */
export interface Resilience {
  /** The store's options: `probeIntervalMs` is read from them each time an outage begins. */
  readonly options: { readonly probeIntervalMs: number };
  readonly shared: QuotaStore | undefined;
  readonly local: MemoryQuotaStore;
  readonly hooks: QuotaHooks;
  readonly now: () => number;
  readonly timeoutMs: number;
  readonly ledger: FallbackLedger;
  state: State;
  /**
   * When the current outage began. A failure while returning starts a new one: windows this replica did not take
   * from meanwhile may have been filled by replicas already back on Redis.
   */
  since: number;
  returnedAt: number;
  probing: boolean;
  closed: boolean;
  timer: NodeJS.Timeout | undefined;
}

export function stopProbing(r: Resilience): void {
  if (r.timer) clearInterval(r.timer);
  r.timer = undefined;
}

export function fail(r: Resilience, error: unknown): void {
  r.hooks.storeError?.(asStoreError(error));
  if (r.state === 'fallback' || r.closed) return;
  r.since = r.now();
  r.state = 'fallback';
  r.hooks.fallback?.(true);
  r.timer = setInterval(() => void probe(r), r.options.probeIntervalMs);
  r.timer.unref();
}

/** Blocks, then grants, into Redis; again for what was granted meanwhile, until nothing is left to write. */
async function writeBack(r: Resilience, store: QuotaStore): Promise<void> {
  const { ledger, timeoutMs } = r;
  const blocks = ledger.takeBlocks();
  try {
    for (const { identity, ms } of blocks) await withTimeout(store.block(identity, ms), timeoutMs);
  } catch (error) {
    for (const { identity, ms } of blocks) ledger.block(identity, r.now() + ms);
    throw error;
  }
  for (let from = 0; store.restore;) {
    const { records, next } = ledger.pending(from);
    if (records.length === 0) return;
    await withTimeout(store.restore(records), timeoutMs);
    from = next;
  }
}

async function probe(r: Resilience): Promise<void> {
  const { shared } = r;
  if (!shared || r.probing || r.closed || r.state !== 'fallback') return;
  r.probing = true;
  try {
    await withTimeout(shared.ping(), r.timeoutMs);
    await writeBack(r, shared);
    if (r.closed || r.state !== 'fallback') return;
    stopProbing(r);
    r.state = 'returning';
    r.returnedAt = r.now();
    r.hooks.fallback?.(false);
  } catch (error) {
    r.hooks.storeError?.(asStoreError(error));
  } finally {
    r.probing = false;
  }
}
