import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { quotaWindows } from '../limits';
import type { QuotaObstacle, QuotaWindow } from '../limits';
import { createEpochBook } from './epochs';
import {
  ARRIVED_SCRIPT,
  BLOCK_SCRIPT,
  PROBE_SCRIPT,
  RESTORE_SCRIPT,
  TAKE_SCRIPT,
} from './redis-scripts';
import { isReplyError, replyWords, watchConnection } from './redis-watch';
import { createReleaseCounter, QuotaStoreError, quotaKeys } from '../store';
import type { QuotaRecord, QuotaStore, QuotaStoreResult, QuotaStoreTake } from '../store';

export interface RedisQuotaStoreOptions {
  /**
   * The connection, made by the gateway's one connection factory (src/redis/connection.ts): one Redis, a Redis
   * Cluster or the master a Sentinel names. It must not queue commands while disconnected, and must bound each
   * command. The store owns it from here: `close()` disconnects it.
   */
  readonly connection: Redis | Cluster;
  /** Where Redis is, for error words when an error does not say (`host:port`, never credentials). */
  readonly address: string;
  /**
   * Resolves `true` once Redis answers on the connection, `false` if it does not within `withinMs`: the factory's
   * own wait (`redisAnswering`, src/redis/answering.ts), where a 'ready' that AUTH or the server's TLS then refuses
   * is not an answer and an ACL user without PING is. One rule for every Redis user, not a second copy here.
   */
  readonly answering: (withinMs: number) => Promise<boolean>;
}

export interface RedisQuotaStore extends QuotaStore {
  /**
   * Resolves `true` once Redis answers (`answering`), `false` after `timeoutMs`: await it at start-up to avoid a first fallback. On
   * `false` the store counts as unreachable until it connects: its watchers hear it, now or when they start
   * watching (see `watch`).
   */
  ready(timeoutMs: number): Promise<boolean>;
}

/** granted (-1: the epoch changed), wait µs, now µs, short, the tenant's epoch, each window's count. */
type TakeReply = [number, number, number, number, string, ...number[]];

interface QuotaCommands {
  iggQuotaTake(numKeys: number, ...args: (string | number)[]): Promise<TakeReply>;
  iggQuotaProbe(key: string): Promise<number>;
  iggQuotaBlock(key: string, ms: number): Promise<number>;
  iggQuotaRestore(numKeys: number, ...args: (string | number)[]): Promise<number>;
  iggQuotaArrived(numKeys: number, ...args: (string | number)[]): Promise<number>;
}

/** Grants written back per script call (four arguments each). */
const RESTORE_CHUNK = 200;

/** The take script's `short` bits, by name: 1 is the block, 2 << i the i-th window. */
function obstaclesOf(bits: number, windows: readonly QuotaWindow[]): QuotaObstacle[] {
  const names: QuotaObstacle[] = bits & 1 ? ['block'] : [];
  windows.forEach((window, index) => {
    if (bits & (2 << index)) names.push(window.id);
  });
  return names;
}

/**
 * The scripts as commands: ioredis sends EVALSHA and, on NOSCRIPT, EVAL, per node, so every master of a Cluster
 * (and a promoted master after a failover) loads them on first use. Each touches one tenant's keys, which share a
 * hash tag (`quotaKeys`), so one slot.
 */
function defineCommands(redis: Redis | Cluster): void {
  redis.defineCommand('iggQuotaTake', { lua: TAKE_SCRIPT });
  redis.defineCommand('iggQuotaBlock', { lua: BLOCK_SCRIPT, numberOfKeys: 1 });
  redis.defineCommand('iggQuotaRestore', { lua: RESTORE_SCRIPT });
  redis.defineCommand('iggQuotaArrived', { lua: ARRIVED_SCRIPT });
  redis.defineCommand('iggQuotaProbe', { lua: PROBE_SCRIPT, numberOfKeys: 1 });
}

/** The probe's key: a sorted set no take uses (`PROBE_SCRIPT`), under the prefix an ACL gives the gateway. */
const PROBE_KEY = 'igg:q:probe';

/** The record's script arguments, grouped by identity and kind (one script call touches one tenant's keys). */
function restoreCalls(records: readonly QuotaRecord[]): Array<(string | number)[]> {
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

interface GrantKeys {
  readonly windowKeys: readonly string[];
  readonly prefix: string;
  readonly granted: number;
  readonly windowMs: number;
}

/** A grant's release (its last entries out of every window) and late arrival (`ARRIVED_SCRIPT`), in Redis. */
function grantIn(redis: Redis | Cluster, commands: QuotaCommands, grant: GrantKeys) {
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

/**
 * Windows and blocks shared by every replica, in Redis: one script call (one round trip) per take. Keys hold
 * tenant and app ids or hashes only (see `quotaKeys`), expire with their window, and entries are members named
 * after this store instance and its take, so a release removes exactly what its take added, and a grant written
 * back after an outage (`restore`) is recognised if Redis still holds it.
 */
export function createRedisQuotaStore(options: RedisQuotaStoreOptions): RedisQuotaStore {
  const { connection: redis, address } = options;
  defineCommands(redis);
  const commands = redis as unknown as QuotaCommands;
  const connection = watchConnection(redis, address);

  /** Every failure leaves as a `QuotaStoreError` that says why in words safe to log. */
  const failure = (error: unknown): QuotaStoreError => {
    if (error instanceof QuotaStoreError) return error;
    if (redis.status !== 'ready')
      return new QuotaStoreError(connection.describe(), 'unreachable', { cause: error });
    const message = error instanceof Error ? error.message : '';
    if (/timed out/i.test(message))
      return new QuotaStoreError(`timeout from ${address}`, 'timeout', { cause: error });
    // A reply error is Redis's own words (OOM, READONLY, NOSCRIPT…), never the command's arguments.
    const words = isReplyError(error) ? replyWords(error) : 'failed';
    return new QuotaStoreError(`Redis at ${address}: ${words}`, 'error', { cause: error });
  };
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw failure(error);
    }
  };

  // Members are `<this store's random id>.<take counter>:<n>`: unique across replicas without a random per take.
  const instance = randomBytes(8).toString('hex');
  let takes = 0;
  const epochs = createEpochBook();
  // Whatever a dropped connection comes back to, the replica writes back its grants before it takes again.
  redis.on('close', () => epochs.clear());

  const take = async (request: QuotaStoreTake): Promise<QuotaStoreResult> => {
    const keys = quotaKeys(request.identity);
    const windows = quotaWindows(request.limits, request.kind);
    const windowKeys = windows.map((window) => keys.window(window));
    takes += 1;
    const prefix = `${instance}.${takes.toString(36)}:`;
    const { windowMs } = request.limits;
    const [granted, waitUs, nowUs, short, epoch, ...counts] = await commands.iggQuotaTake(
      2 + windows.length,
      keys.block,
      keys.epoch,
      ...windowKeys,
      windowMs * 1000,
      Math.max(1, Math.floor(request.max)),
      prefix,
      epochs.expected(keys.epoch, Date.now(), windowMs),
      prefix,
      ...windows.map((window) => window.limit),
    );
    epochs.saw(keys.epoch, String(epoch), Date.now());
    if (granted < 0)
      throw new QuotaStoreError(
        `Redis at ${address} lost the quota windows of a tenant (flushed, evicted, or back empty)`,
        'error',
      );
    const at = nowUs / 1000;
    if (granted === 0) {
      const waitMs = Math.ceil(waitUs / 1000);
      const shortOf = obstaclesOf(short, windows);
      return { granted: 0, waitMs, at, shortOf, release: async () => {}, counts };
    }
    const grant = grantIn(redis, commands, { windowKeys, prefix, granted, windowMs });
    return {
      granted,
      waitMs: 0,
      at,
      shortOf: [],
      release: (count) => guarded(() => grant.release(count)),
      arrivedBy: (beforeNowMs) => guarded(() => grant.arrivedBy(beforeNowMs)),
      counts,
      id: prefix,
    };
  };

  return {
    shared: true,
    take: (request) => guarded(() => take(request)),
    block: (identity, durationMs) =>
      guarded(async () => {
        const ms = Math.ceil(durationMs);
        if (ms > 0) await commands.iggQuotaBlock(quotaKeys(identity).block, ms);
      }),
    ping: () => guarded(async () => void (await commands.iggQuotaProbe(PROBE_KEY))),
    restore: (records) =>
      guarded(async () => {
        const calls = restoreCalls(records);
        if (calls.length === 0) return 0;
        // One command per tenant, not one pipeline: a Cluster pipeline must stay within one slot.
        const added = await Promise.all(
          calls.map((args) => commands.iggQuotaRestore(...(args as [number, ...string[]]))),
        );
        return added.reduce((sum, value) => sum + Number(value), 0);
      }),
    watch: connection.watch,
    async ready(timeoutMs) {
      const answered = await options.answering(timeoutMs);
      if (!answered) connection.gaveUp(timeoutMs);
      return answered;
    },
    close() {
      connection.close();
      redis.disconnect();
      return Promise.resolve();
    },
  };
}
