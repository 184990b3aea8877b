import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { quotaWindows } from '../limits';
import type { QuotaObstacle, QuotaWindow } from '../limits';
import { ARRIVED_SCRIPT, BLOCK_SCRIPT, RESTORE_SCRIPT, TAKE_SCRIPT } from './redis-scripts';
import { createReleaseCounter, QuotaStoreError, quotaKeys } from '../store';
import type { QuotaRecord, QuotaStore, QuotaStoreResult } from '../store';

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

type TakeReply = [number, number, number, number, ...number[]];

interface QuotaCommands {
  iggQuotaTake(numKeys: number, ...args: (string | number)[]): Promise<TakeReply>;
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

/** Where an error says it happened (a net error's address and port, a Cluster's last node error), else `fallback`. */
function whereOf(error: unknown, fallback: string): string {
  const { address, port, lastNodeError } = (error ?? {}) as {
    address?: unknown;
    port?: unknown;
    lastNodeError?: unknown;
  };
  if (lastNodeError) return whereOf(lastNodeError, fallback);
  if (typeof address !== 'string' || typeof port !== 'number') return fallback;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Redis's own words in a reply error (OOM, READONLY, WRONGPASS…): never a command's arguments. */
const isReplyError = (error: unknown): error is Error =>
  (error as { name?: unknown } | undefined)?.name === 'ReplyError';
const replyWords = (error: Error) => error.message.split('\n')[0]!.slice(0, 120);

/**
 * A connection error in a few safe words: its code and where (the node it names, for a Cluster or a Sentinel's
 * master), never its message (it may quote a command), but for Redis's own reply (AUTH's refusal: WRONGPASS).
 */
function describeConnectionError(error: unknown, fallback: string): string {
  const cause = (error as { lastNodeError?: unknown } | undefined)?.lastNodeError ?? error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  const address = whereOf(cause, fallback);
  if (isReplyError(cause)) return `Redis at ${address}: ${replyWords(cause)}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused to ${address}`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `connection reset by ${address}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found: ${address}`;
    case 'ETIMEDOUT':
      return `connect timeout to ${address}`;
    case undefined:
      return `connection lost to ${address}`;
    default:
      return typeof code === 'string' ? `${code} from ${address}` : `not connected to ${address}`;
  }
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

/**
 * What the store knows of its connection, in words safe to log: the last connection error, whether it is known to be
 * unreachable, and who listens (the pacer's fallback). `unreachable` is set when the start-up wait gave up, until the
 * connection is ready; a watcher that starts later hears it at once. Without it nobody said so before a first call
 * failed: a Sentinel connection whose sentinels never answer says 'error' only, never 'close' (ioredis's
 * SentinelConnector retries inside one connect), and the 'close' of each refused attempt came before the pacer,
 * built after the wait, watched (the metrics said `shared` meanwhile).
 */
function watchConnection(redis: Redis | Cluster, address: string) {
  let lastError: unknown;
  let unreachable: QuotaStoreError | undefined;
  let closing = false;
  const watchers: Array<(error: QuotaStoreError) => void> = [];
  const tell = (error: QuotaStoreError) => {
    for (const watcher of watchers) watcher(error);
  };
  const describe = () => describeConnectionError(lastError, address);
  redis.on('error', (error: unknown) => (lastError = error));
  redis.on('ready', () => {
    lastError = undefined;
    unreachable = undefined;
  });
  // ioredis says 'close' each time the connection drops (and each failed attempt to make one).
  redis.on('close', () => {
    if (!closing) tell(new QuotaStoreError(describe(), 'unreachable'));
  });
  return {
    describe,
    watch: (listener: (error: QuotaStoreError) => void) => {
      watchers.push(listener);
      if (unreachable && redis.status !== 'ready') listener(unreachable);
    },
    gaveUp: (timeoutMs: number) => {
      if (closing) return;
      const code = (lastError as { code?: unknown } | undefined)?.code;
      const named = typeof code === 'string' || isReplyError(lastError);
      const words = named ? describe() : `not connected to ${address} within ${timeoutMs} ms`;
      unreachable = new QuotaStoreError(words, 'unreachable');
      tell(unreachable);
    },
    close: () => void (closing = true),
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
  return {
    shared: true,
    take: (request) =>
      guarded(async (): Promise<QuotaStoreResult> => {
        const keys = quotaKeys(request.identity);
        const windows = quotaWindows(request.limits, request.kind);
        const windowKeys = windows.map((window) => keys.window(window));
        takes += 1;
        const prefix = `${instance}.${takes.toString(36)}:`;
        const [granted, waitUs, nowUs, short, ...counts] = await commands.iggQuotaTake(
          1 + windows.length,
          keys.block,
          ...windowKeys,
          request.limits.windowMs * 1000,
          Math.max(1, Math.floor(request.max)),
          prefix,
          ...windows.map((window) => window.limit),
        );
        const at = nowUs / 1000;
        if (granted <= 0) {
          const waitMs = Math.ceil(waitUs / 1000);
          const shortOf = obstaclesOf(short, windows);
          return { granted: 0, waitMs, at, shortOf, release: async () => {}, counts };
        }
        const members = Array.from({ length: granted }, (_, index) => `${prefix}${index + 1}`);
        const releasable = createReleaseCounter(granted);
        const release = async (count?: number) => {
          const n = releasable.take(count);
          if (n === 0) return;
          const remaining = releasable.remaining;
          const gone = members.slice(remaining, remaining + n);
          const pipeline = redis.pipeline();
          for (const key of windowKeys) pipeline.zrem(key, ...gone);
          const failed = (await pipeline.exec())?.find(([error]) => error)?.[0];
          if (failed) throw failed;
        };
        const arrivedBy = async (beforeNowMs: number) => {
          const n = releasable.remaining;
          if (n === 0) return;
          const window = request.limits.windowMs * 1000;
          const before = Math.round(beforeNowMs * 1000);
          await commands.iggQuotaArrived(
            windowKeys.length,
            ...windowKeys,
            window,
            before,
            prefix,
            n,
          );
        };
        return {
          granted,
          waitMs: 0,
          at,
          shortOf: [],
          release: (count) => guarded(() => release(count)),
          arrivedBy: (beforeNowMs) => guarded(() => arrivedBy(beforeNowMs)),
          counts,
          id: prefix,
        };
      }),
    block: (identity, durationMs) =>
      guarded(async () => {
        const ms = Math.ceil(durationMs);
        if (ms > 0) await commands.iggQuotaBlock(quotaKeys(identity).block, ms);
      }),
    ping: () => guarded(async () => void (await redis.ping())),
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
