/**
 * What a replica knows of each tenant's epoch in the shared store (redis-scripts.ts, `EPOCH`): the value its last
 * take saw, and when. A take expects that value only while it is fresh, within one window of that take; the store
 * keeps the key two windows past every take, so an epoch that changed or went while a replica expected it means the
 * windows were lost (a `FLUSHALL`, an eviction, a Redis that came back empty on the same connection).
 */
export interface EpochBook {
  /** The epoch a take for this key expects, or '' (nothing seen within a window: the store's epoch is adopted). */
  expected(key: string, now: number, windowMs: number): string;
  /** What a take's answer said the epoch is. */
  saw(key: string, epoch: string, now: number): void;
  /** Forget everything: the connection dropped, and the replica writes back what it granted before it takes again. */
  clear(): void;
  /** Tenants remembered (bounded by the sweep). */
  readonly size: number;
  /** Counts the clears: an answer to a call sent before one says nothing of now. */
  readonly generation: number;
}

/**
 * At this many tenants, a new one first drops those not seen within the last window given; the next sweep waits
 * until twice as many remain, so that many tenants all active cost one sweep per doubling, not one per take.
 */
const SWEEP_AT = 10_000;

export function createEpochBook(): EpochBook {
  const seen = new Map<string, { epoch: string; at: number }>();
  let sweepAt = SWEEP_AT;
  const sweep = (now: number, windowMs: number) => {
    for (const [key, entry] of seen) if (now - entry.at >= windowMs) seen.delete(key);
    sweepAt = Math.max(SWEEP_AT, 2 * seen.size);
  };
  let lastWindowMs = 0;
  let generation = 0;
  return {
    expected(key, now, windowMs) {
      lastWindowMs = windowMs;
      const entry = seen.get(key);
      return entry && now - entry.at < windowMs ? entry.epoch : '';
    },
    saw(key, epoch, now) {
      if (!seen.has(key) && seen.size >= sweepAt) sweep(now, lastWindowMs);
      seen.set(key, { epoch, at: now });
    },
    clear() {
      seen.clear();
      generation += 1;
    },
    get size() {
      return seen.size;
    },
    get generation() {
      return generation;
    },
  };
}
