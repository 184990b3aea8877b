import type { Cluster, Redis } from 'ioredis';
import type { QuotaObstacle, QuotaWindow } from '../limits';
import { grantIn, restoreCalls } from './redis-grants';
import { createTakeScript } from './redis-take';
import type { QuotaCommands } from './redis-grants';
import { ARRIVED_SCRIPT, BLOCK_SCRIPT, RESTORE_SCRIPT, TAKE_SCRIPT } from './redis-scripts';
import { isConnectionLost, isReplyError, replyWords, watchConnection } from './redis-watch';
import { QuotaStoreError, quotaKeys } from '../store';
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
}

/** Waits for `promise` to settle, `ms` at most. */
function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))));
  return Promise.race([promise.then(() => undefined), elapsed]).finally(() => clearTimeout(timer));
}

/** A store call: its work, and any failure out of it as a `QuotaStoreError`. */
type Guard = <T>(work: () => Promise<T>) => Promise<T>;

/** Every failure leaves as a `QuotaStoreError` that says why in words safe to log. */
function createGuard(redis: Redis | Cluster, address: string, describe: () => string): Guard {
  const failure = (error: unknown): QuotaStoreError => {
    if (error instanceof QuotaStoreError) return error;
    // A command can lose its connection while ioredis still says 'ready' (the socket ended, 'close' not yet heard).
    if (redis.status !== 'ready' || isConnectionLost(error))
      return new QuotaStoreError(describe(), 'unreachable', { cause: error });
    const message = error instanceof Error ? error.message : '';
    if (/timed out/i.test(message))
      return new QuotaStoreError(`timeout from ${address}`, 'timeout', { cause: error });
    // A reply error is Redis's own words (OOM, READONLY, NOSCRIPT…), never the command's arguments.
    const words = isReplyError(error) ? replyWords(error) : 'failed';
    const reason = words.startsWith('OOM ') ? 'full' : 'error';
    return new QuotaStoreError(`Redis at ${address}: ${words}`, reason, { cause: error });
  };
  return async (work) => {
    try {
      return await work();
    } catch (error) {
      throw failure(error);
    }
  };
}

/** A take: the script's answer, and for a grant its release and late arrival in Redis, guarded. */
function createTake(
  redis: Redis | Cluster,
  commands: QuotaCommands,
  run: ReturnType<typeof createTakeScript>['run'],
  guarded: Guard,
) {
  return async (request: QuotaStoreTake): Promise<QuotaStoreResult> => {
    const max = Math.max(1, Math.floor(request.max));
    const { granted, waitUs, nowUs, short, counts, windows, windowKeys, prefix } = await run(
      request,
      max,
    );
    const { windowMs } = request.limits;
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
}

/** Grants written back after an outage; how many Redis did not hold yet. */
async function restoreGrants(
  commands: QuotaCommands,
  records: readonly QuotaRecord[],
): Promise<number> {
  const calls = restoreCalls(records);
  if (calls.length === 0) return 0;
  // One command per tenant, not one pipeline: a Cluster pipeline must stay within one slot.
  const added = await Promise.all(
    calls.map((args) => commands.iggQuotaRestore(...(args as [number, ...string[]]))),
  );
  return added.reduce((sum, value) => sum + Number(value), 0);
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
  const guarded = createGuard(redis, address, connection.describe);
  const { run, probe, learning } = createTakeScript(redis, commands, address);
  const take = createTake(redis, commands, run, guarded);

  return {
    shared: true,
    take: (request) => guarded(() => take(request)),
    block: (identity, durationMs) =>
      guarded(async () => {
        const ms = Math.ceil(durationMs);
        if (ms > 0) await commands.iggQuotaBlock(quotaKeys(identity).block, ms);
      }),
    ping: () => guarded(async () => void (await probe())),
    restore: (records) => guarded(() => restoreGrants(commands, records)),
    watch: connection.watch,
    async ready(timeoutMs) {
      const started = Date.now();
      const answered = await options.answering(timeoutMs);
      if (!answered) connection.gaveUp(timeoutMs);
      // At start, the epoch rule is decided before the first take (within the same wait).
      else if (learning()) await settledWithin(learning()!, timeoutMs - (Date.now() - started));
      return answered;
    },
    close() {
      connection.close();
      redis.disconnect();
      return Promise.resolve();
    },
  };
}
