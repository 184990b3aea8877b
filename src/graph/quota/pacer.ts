import type { QuotaIdentity, QuotaLimits } from './limits';
import { createMemoryQuotaStore } from './memory-store';
import {
  createResilientStore,
  DEFAULT_PROBE_INTERVAL_MS,
  DEFAULT_STORE_TIMEOUT_MS,
} from './resilient-store';
import type { ResilientResult, ResilientStore } from './resilient-store';
import { createReleaseCounter, quotaKeys } from './store';
import type { QuotaKeys, QuotaStoreTake } from './store';
import type {
  QuotaGrant,
  QuotaHooks,
  QuotaOutcome,
  QuotaPacer,
  QuotaPacerOptions,
  QuotaTake,
} from './types';
import { NOT_TRIED, shortAfter, WaitQueues } from './wait-queue';
import type { Short, Waiting } from './wait-queue';

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

/** What a take that got nothing holds now, as store keys, and until when its shortage lasts (never now). */
function shortOf(
  keys: QuotaKeys,
  request: QuotaTake,
  result: ResilientResult,
  now: number,
  previous: Short = NOT_TRIED,
): Short {
  // A store that names nothing (none does) would let every later take pass: count it short of all it needs.
  const named = result.shortOf.map((obstacle) => keys.of(obstacle));
  const found = named.length > 0 ? named : keys.needs(request.kind);
  return shortAfter(previous, found, now + Math.max(1, result.waitMs));
}

/** A take that did not get budget at once. */
interface Pending {
  readonly request: QuotaTake;
  readonly storeTake: QuotaStoreTake;
  readonly keys: QuotaKeys;
  readonly seq: number;
  readonly started: number;
}

/** A take in its tenant's queue, with what the pacer needs to end it. */
interface Waiter extends Pending, Waiting {
  readonly settle: (outcome: QuotaOutcome | Error) => void;
  onAbort: (() => void) | undefined;
}

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

const isCancelled = (request: QuotaTake) => (request.cancellation?.stopped ?? null) !== null;

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
 *
 * A take that does not fit waits its turn in its tenant's queue (`wait-queue.ts`): first come, first served
 * within this replica.
 */
class Pacer implements QuotaPacer {
  private readonly now: () => number;
  private readonly hooks: QuotaHooks;
  private readonly store: ResilientStore;
  private readonly queues: WaitQueues<Waiter>;
  private arrivals = 0;

  constructor(
    private readonly limits: QuotaLimits | null,
    options: QuotaPacerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.hooks = options.hooks ?? {};
    this.store = createResilientStore({
      shared: options.store,
      local: createMemoryQuotaStore({ now: this.now }),
      hooks: this.hooks,
      now: this.now,
      timeoutMs: options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS,
      probeIntervalMs: options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS,
      replicas: options.replicas ?? 1,
    });
    this.queues = new WaitQueues<Waiter>({
      now: this.now,
      sleep: options.sleep ?? abortableSleep,
      attempt: (waiter) => this.attempt(waiter),
      refuse: (waiter, until) =>
        this.finish(waiter, this.refused(waiter.request, until - this.now(), waiter.started)),
      fail: (waiter, error) => this.finish(waiter, asError(error)),
    });
  }

  take = (request: QuotaTake): Promise<QuotaOutcome> =>
    this.limits
      ? this.takeWithin(request, this.limits)
      : Promise.resolve(unlimited(request, this.now()));

  block = (identity: QuotaIdentity, untilEpochMs: number): void => {
    if (!this.limits) return;
    const durationMs = untilEpochMs - this.now();
    if (durationMs > 0) this.store.block(identity, durationMs);
  };

  close = (): Promise<void> => {
    for (const waiter of this.queues.close()) this.finish(waiter, CANCELLED);
    return this.store.close();
  };

  private async takeWithin(request: QuotaTake, limits: QuotaLimits): Promise<QuotaOutcome> {
    const started = this.now();
    const seq = (this.arrivals += 1);
    if (isCancelled(request)) return CANCELLED;
    const storeTake: QuotaStoreTake = {
      identity: request.identity,
      kind: request.kind,
      max: Math.max(1, Math.floor(request.max)),
      limits,
    };
    // Earlier takes wait for a key this one needs: it queues behind them without trying.
    if (this.queues.mustQueue(request.identity, request.kind)) {
      const keys = quotaKeys(request.identity);
      return this.enqueue({ request, storeTake, keys, seq, started }, NOT_TRIED);
    }
    const result = await this.store.take(storeTake);
    if (result.granted > 0) {
      if (!isCancelled(request)) return this.granted(request, result, started);
      void result.release();
      return CANCELLED;
    }
    if (this.now() + result.waitMs >= request.deadline)
      return this.refused(request, result.waitMs, started);
    if (isCancelled(request)) return CANCELLED;
    const keys = quotaKeys(request.identity);
    const short = shortOf(keys, request, result, this.now());
    return this.enqueue({ request, storeTake, keys, seq, started }, short);
  }

  private enqueue(pending: Pending, short: Short): Promise<QuotaOutcome> {
    const { request, keys } = pending;
    return new Promise<QuotaOutcome>((resolve, reject) => {
      const waiter: Waiter = {
        ...pending,
        tenant: request.identity.tenant,
        needs: keys.needs(request.kind),
        deadline: request.deadline,
        short,
        done: false,
        settle: (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)),
        onAbort: undefined,
      };
      if (request.cancellation) {
        waiter.onAbort = () => this.finish(waiter, CANCELLED, true);
        request.cancellation.signal().addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queues.add(waiter);
    });
  }

  /** One try from the queue, in queue order: a grant ends the take, a shortage updates what it waits for. */
  private async attempt(waiter: Waiter): Promise<void> {
    let result: ResilientResult;
    try {
      result = await this.store.take(waiter.storeTake);
    } catch (error) {
      return this.finish(waiter, asError(error));
    }
    if (result.granted === 0) {
      waiter.short = shortOf(waiter.keys, waiter.request, result, this.now(), waiter.short);
      return;
    }
    // Cancelled while the store answered: the budget goes back.
    if (waiter.done) void result.release();
    else this.finish(waiter, this.granted(waiter.request, result, waiter.started));
  }

  /** Ends a queued take, once; `early` (cancelled) lets the takes behind it be reconsidered at once. */
  private finish(waiter: Waiter, outcome: QuotaOutcome | Error, early = false): void {
    if (waiter.done) return;
    waiter.done = true;
    if (waiter.onAbort)
      waiter.request.cancellation?.signal().removeEventListener('abort', waiter.onAbort);
    this.queues.remove(waiter, early);
    waiter.settle(outcome);
  }

  private granted(request: QuotaTake, result: ResilientResult, started: number): QuotaGrant {
    const waitedMs = this.now() - started;
    this.hooks.waited?.(waitedMs, request.kind);
    return toGrant(result, waitedMs);
  }

  private refused(request: QuotaTake, retryAfterMs: number, started: number): QuotaOutcome {
    const waitedMs = this.now() - started;
    this.hooks.waited?.(waitedMs, request.kind);
    this.hooks.refused?.(request.kind);
    return { refused: true, retryAfterMs, waitedMs };
  }
}

export function createQuotaPacer(options: QuotaPacerOptions): QuotaPacer {
  if (options.limits) checkLimits(options.limits);
  const { replicas = 1 } = options;
  if (!Number.isSafeInteger(replicas) || replicas < 1)
    throw new RangeError(`quota replicas must be a positive whole number, got ${replicas}`);
  return new Pacer(options.limits, options);
}
