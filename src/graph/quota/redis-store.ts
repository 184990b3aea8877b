import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { quotaWindows } from './limits';
import type { QuotaObstacle, QuotaWindow } from './limits';
import { BLOCK_SCRIPT, TAKE_SCRIPT } from './redis-scripts';
import { createReleaseCounter, quotaKeys } from './store';
import type { QuotaStore, QuotaStoreResult } from './store';

export interface RedisQuotaStoreOptions {
  /** `redis://` or `rediss://` URL (REDIS_URL). */
  readonly url: string;
  /** Bound on each Redis command; a slower Redis is treated as down. */
  readonly commandTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Connection-level errors (commands report theirs by rejecting). Never logs by itself. */
  readonly onConnectionError?: (error: unknown) => void;
}

export interface RedisQuotaStore extends QuotaStore {
  /** Resolves `true` once connected, `false` after `timeoutMs`: await it at start-up to avoid a first fallback. */
  ready(timeoutMs: number): Promise<boolean>;
}

interface QuotaCommands {
  iggQuotaTake(
    numKeys: number,
    ...args: (string | number)[]
  ): Promise<[number, number, number, number]>;
  iggQuotaBlock(key: string, ms: number): Promise<number>;
}

export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 200;

/** The take script's `short` bits, by name: 1 is the block, 2 << i the i-th window. */
function obstaclesOf(bits: number, windows: readonly QuotaWindow[]): QuotaObstacle[] {
  const names: QuotaObstacle[] = bits & 1 ? ['block'] : [];
  windows.forEach((window, index) => {
    if (bits & (2 << index)) names.push(window.id);
  });
  return names;
}

/**
 * Never let a request wait on Redis: no offline queue (commands fail at once while disconnected), no resending
 * after a reconnect, a short command timeout, and reconnection in the background with a capped backoff.
 * https://github.com/redis/ioredis#auto-reconnect
 */
function connect(options: RedisQuotaStoreOptions): Redis {
  const redis = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: options.connectTimeoutMs ?? 1_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    enableReadyCheck: false,
  });
  // Without a listener ioredis prints every connection error to the console.
  redis.on('error', (error: unknown) => options.onConnectionError?.(error));
  redis.defineCommand('iggQuotaTake', { lua: TAKE_SCRIPT });
  redis.defineCommand('iggQuotaBlock', { lua: BLOCK_SCRIPT, numberOfKeys: 1 });
  return redis;
}

/**
 * Windows and blocks shared by every replica, in Redis: one script call (one round trip) per take. Keys hold
 * tenant and app ids or hashes only (see `quotaKeys`), expire with their window, and entries are members named
 * after this store instance and its take, so a release removes exactly what its take added.
 */
export function createRedisQuotaStore(options: RedisQuotaStoreOptions): RedisQuotaStore {
  const redis = connect(options);
  const commands = redis as unknown as QuotaCommands;
  // Members are `<this store's random id>.<take counter>:<n>`: unique across replicas without a random per take.
  const instance = randomBytes(8).toString('hex');
  let takes = 0;
  return {
    shared: true,
    async take(request): Promise<QuotaStoreResult> {
      const keys = quotaKeys(request.identity);
      const windows = quotaWindows(request.limits, request.kind);
      const windowKeys = windows.map((window) => keys.window(window));
      takes += 1;
      const prefix = `${instance}.${takes.toString(36)}:`;
      const [granted, waitUs, nowUs, short] = await commands.iggQuotaTake(
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
        return {
          granted: 0,
          waitMs,
          at,
          shortOf: obstaclesOf(short, windows),
          release: async () => {},
        };
      }
      const members = Array.from({ length: granted }, (_, index) => `${prefix}${index + 1}`);
      const releasable = createReleaseCounter(granted);
      return {
        granted,
        waitMs: 0,
        at,
        shortOf: [],
        release: async (count) => {
          const n = releasable.take(count);
          if (n === 0) return;
          const remaining = releasable.remaining;
          const gone = members.slice(remaining, remaining + n);
          const pipeline = redis.pipeline();
          for (const key of windowKeys) pipeline.zrem(key, ...gone);
          const results = await pipeline.exec();
          const failed = results?.find(([error]) => error);
          if (failed)
            throw failed[0] instanceof Error ? failed[0] : new Error('Redis release failed');
        },
      };
    },
    async block(identity, durationMs) {
      const ms = Math.ceil(durationMs);
      if (ms <= 0) return;
      await commands.iggQuotaBlock(quotaKeys(identity).block, ms);
    },
    async ping() {
      await redis.ping();
    },
    ready(timeoutMs) {
      if (redis.status === 'ready') return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (value: boolean) => {
          clearTimeout(timer);
          redis.off('ready', onReady);
          resolve(value);
        };
        const onReady = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        redis.on('ready', onReady);
      });
    },
    close() {
      redis.disconnect();
      return Promise.resolve();
    },
  };
}
