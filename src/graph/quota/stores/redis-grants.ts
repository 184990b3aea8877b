/**
 * The shared store's grants in Redis: the script commands' types, a grant's release and late arrival, and the
 * arguments that write grants back (redis-store.ts takes; redis-scripts.ts holds the scripts).
 */
import type { Cluster, Redis } from 'ioredis';
import { quotaWindows } from '../limits';
import { createReleaseCounter, quotaKeys } from '../store';
import type { QuotaRecord } from '../store';

/** granted (-1: the epoch changed), wait µs, now µs, short, the epoch in Redis, each window's count. */
export type TakeReply = [number, number, number, number, string, ...number[]];

export interface QuotaCommands {
  iggQuotaTake(numKeys: number, ...args: (string | number)[]): Promise<TakeReply>;
  iggQuotaBlock(key: string, ms: number): Promise<number>;
  iggQuotaRestore(numKeys: number, ...args: (string | number)[]): Promise<number>;
  iggQuotaArrived(numKeys: number, ...args: (string | number)[]): Promise<number>;
}

/** Grants written back per script call (four arguments each). */
const RESTORE_CHUNK = 200;

export interface GrantKeys {
  readonly windowKeys: readonly string[];
  readonly prefix: string;
  readonly granted: number;
  readonly windowMs: number;
}

/** A grant's release (its last entries out of every window) and late arrival (`ARRIVED_SCRIPT`), in Redis. */
export function grantIn(redis: Redis | Cluster, commands: QuotaCommands, grant: GrantKeys) {
  const { windowKeys, prefix, granted } = grant;
  const members = Array.from({ length: granted }, (_, index) => `${prefix}${index + 1}`);
  const releasable = createReleaseCounter(granted);
  return {
    async release(count?: number) {
      const n = releasable.take(count);
      if (n === 0) return;
      const remaining = releasable.remaining;
      const gone = members.slice(remaining, remaining + n);
      const pipeline = redis.pipeline();
      for (const key of windowKeys) pipeline.zrem(key, ...gone);
      const failed = (await pipeline.exec())?.find(([error]) => error)?.[0];
      if (failed) throw failed;
    },
    async arrivedBy(beforeNowMs: number) {
      const n = releasable.remaining;
      if (n === 0) return;
      const before = Math.round(beforeNowMs * 1000);
      const window = grant.windowMs * 1000;
      await commands.iggQuotaArrived(windowKeys.length, ...windowKeys, window, before, prefix, n);
    },
  };
}

/** The record's script arguments, grouped by identity and kind (one script call touches one tenant's keys). */
export function restoreCalls(records: readonly QuotaRecord[]): Array<(string | number)[]> {
  const groups = new Map<string, QuotaRecord[]>();
  for (const record of records) {
    if (record.count <= 0) continue;
    const group = `${record.identity.tenant}\n${record.identity.app}\n${record.kind}`;
    const list = groups.get(group) ?? [];
    list.push(record);
    groups.set(group, list);
  }
  const calls: Array<(string | number)[]> = [];
  for (const list of groups.values()) {
    const { identity, kind, limits } = list[0]!;
    const keys = quotaKeys(identity);
    const windowKeys = quotaWindows(limits, kind).map((window) => keys.window(window));
    for (let first = 0; first < list.length; first += RESTORE_CHUNK) {
      const chunk = list.slice(first, first + RESTORE_CHUNK);
      // A negative age is a grant dated ahead (a call that may still reach Graph): written so, not clamped.
      const grants = chunk.flatMap((record) => [
        Math.round(record.ageMs * 1000),
        record.id,
        record.count,
        record.raise ? 1 : 0,
      ]);
      calls.push([windowKeys.length, ...windowKeys, limits.windowMs * 1000, ...grants]);
    }
  }
  return calls;
}
