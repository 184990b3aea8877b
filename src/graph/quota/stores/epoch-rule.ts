import type { QuotaKeys } from '../store';

/** One Redis for every tenant's windows: one epoch key for all (redis-scripts.ts, `EPOCH`). */
export const GLOBAL_EPOCH_KEY = 'igg:q:epoch';

export interface EpochKey {
  readonly key: string;
  /** The key's life in ms, 0 for none. */
  readonly life: number;
  /** How long after its take a replica still expects the epoch it saw. */
  readonly freshMs: number;
}

export interface EpochRule {
  /** The epoch key a take of these keys checks. */
  of(keys: QuotaKeys, windowMs: number): EpochKey;
  /** Whether takes check the one key for all now. */
  readonly global: boolean;
  /**
   * What Redis said of itself at a connection (`INFO`'s text, undefined if refused): the key for all only on a
   * standalone Redis that is not a cluster node. Never again after `refuse`.
   */
  decide(info: string | undefined): void;
  /** Redis refused a script naming the key for all beside a tenant's (CROSSSLOT): each tenant's own from now on. */
  refuse(): void;
}

/** Redis's answer to a script whose keys are in several slots, on a node or proxy that checks. */
export const isCrossSlot = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith('CROSSSLOT');

/**
 * Which epoch key a take checks. The one for all (kept for good, always expected once seen) lets every replica
 * notice a flush at its next take, but a script naming it beside a tenant's keys spans two slots: only a standalone
 * Redis (or Sentinel's master) runs that. A Cluster, a cluster node behind one endpoint, a proxy that routes a
 * script by its first key (each backend would hold its own, and every take elsewhere would read as a loss) or one that
 * refuses `INFO` get each tenant's own (in its slot: kept two windows past each take, expected for one), and so does
 * every connection until `INFO` has said which it is. A CROSSSLOT refusal turns the key for all off for good (the
 * Azure Enterprise cluster policy presents one endpoint and checks slots).
 */
export function createEpochRule(cluster: boolean): EpochRule {
  let global = false;
  let refused = cluster;
  return {
    of: (keys, windowMs) =>
      global
        ? { key: GLOBAL_EPOCH_KEY, life: 0, freshMs: Number.POSITIVE_INFINITY }
        : { key: keys.epoch, life: Math.ceil(2 * windowMs), freshMs: windowMs },
    get global() {
      return global;
    },
    decide(info) {
      const standalone =
        info !== undefined &&
        /^redis_mode:standalone\r?$/m.test(info) &&
        !/^cluster_enabled:1\r?$/m.test(info);
      global = standalone && !refused;
    },
    refuse() {
      refused = true;
      global = false;
    },
  };
}
