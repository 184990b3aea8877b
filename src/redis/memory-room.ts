import type { Cluster, Redis } from 'ioredis';
import { readMemoryInfo } from './memory-policy';
import type { RedisMemoryInfo } from './memory-policy';
import { isReplyError } from './errors';

/**
 * Whether a cache that shares a Redis with data that must never be refused (the quota windows) may write there:
 * `room`, `full` (past its share of `maxmemory`), or `unknown` (no `maxmemory` to compare with, or `INFO` refused
 * answered with an error), which counts as no room: without a bound, one client with no token filled a Redis at
 * 14 MB/s. A Redis not connected, or not answering in time, is `unknown` too, but not said: the cache's own outage
 * warning says it. `pending` until a first reading.
 */
export type RoomState = 'pending' | 'room' | 'full' | 'unknown';

/** What is said of the room. */
export type SaidRoomState = Exclude<RoomState, 'pending'>;

/**
 * What Redis spends on a string of `bytes` (its value and key, UTF-8): a quarter more for the allocator's size
 * classes, and 100 bytes per key (dict entry, object headers, expiry). Measured growth of `used_memory` over 200 SETs,
 * against value and key: 1.242 times for 33,000-byte values, 1.099 for 149,700, 1.023 for 40,050, 1.028 for 1,000.
 */
export const storedBytes = (bytes: number): number => Math.ceil(1.25 * bytes) + 100;

/** How long the last reading stands when the next ones fail. */
export const STALE_AFTER_MS = 2_000;

/** How far below its share a Redis must fall before "room again" is said: readings at the line do not flap. */
export const ROOM_HYSTERESIS = 0.05;

export interface RoomReading {
  readonly state: SaidRoomState;
  /** Bytes this replica may write until the next reading: its part of what is left below the share. */
  readonly allowance: number;
  /** The fullest master's reading. */
  readonly info?: RedisMemoryInfo;
}

/**
 * What one reading allows, pure. The fullest master decides (a cluster's documents go to every master). Each
 * replica may write its part (`replicas`, GRAPH_QUOTA_REPLICAS) of what is left below the share until its next
 * reading, so that together they stay under it whatever the time between readings: with one reading per replica
 * every 250 ms and no part, two replicas flooded with documents passed half of a 16 MB Redis by 3 MB.
 */
export function roomAfter(
  infos: readonly RedisMemoryInfo[] | undefined,
  share: number,
  replicas: number,
): RoomReading {
  if (!infos || infos.length === 0) return { state: 'unknown', allowance: 0 };
  const unbounded = infos.find((info) => info.maxmemory <= 0);
  if (unbounded) return { state: 'unknown', allowance: 0, info: unbounded };
  const fullest = infos.reduce((a, b) => (b.used / b.maxmemory > a.used / a.maxmemory ? b : a));
  const left = share * fullest.maxmemory - fullest.used;
  if (left <= 0) return { state: 'full', allowance: 0, info: fullest };
  return { state: 'room', allowance: Math.floor(left / Math.max(1, replicas)), info: fullest };
}

/** Whether a reading is far enough below the share to say "room again" (`ROOM_HYSTERESIS`). */
export const wellBelow = (reading: RoomReading, share: number): boolean =>
  reading.state === 'room' &&
  reading.info !== undefined &&
  reading.info.used < (share - ROOM_HYSTERESIS) * reading.info.maxmemory;

export interface MemoryRoomOptions {
  /** The part of `maxmemory` the cache may fill: above it, no more writes. */
  readonly share: number;
  /** Replicas writing into the same Redis (each gets its part of what is left). */
  readonly replicas: number;
  /** How often `INFO memory` is read again, at most: a write waits for a reading older than this. */
  readonly everyMs: number;
  readonly now?: () => number;
  /**
   * Called when what is said changes: `full` at the first document held back while Redis is near its share (within
   * `ROOM_HYSTERESIS`) or past it, `unknown` when there is no bound, `room` once a reading is well below the share
   * again. Not at start.
   */
  readonly onChange?: (state: SaidRoomState, info?: RedisMemoryInfo) => void;
}

export interface MemoryRoom {
  /** Whether `bytes` more may be written now; if so they are counted against this reading's allowance. */
  take(bytes: number): Promise<boolean>;
  /** Read now (at each connection, so that the first writes need not wait a reading). */
  refresh(): void;
}

/** What is said of the room, told to `onChange` when it changes (not at start: `room`). */
function createSay(options: MemoryRoomOptions) {
  let said: SaidRoomState = 'room';
  return (state: SaidRoomState, info: RedisMemoryInfo | undefined) => {
    if (state === said) return;
    said = state;
    options.onChange?.(state, info);
  };
}

/** `INFO memory` of each master, or why not. */
async function readInfos(connection: Redis | Cluster) {
  let failure: unknown;
  const infos = await readMemoryInfo(connection).catch((error: unknown) => {
    failure = error;
    return undefined;
  });
  return { infos, failure };
}

/** The last reading, what is left of its allowance, and when it was read. */
interface RoomBook {
  reading: RoomReading | undefined;
  allowance: number;
  readAt: number;
}

/** The readings of a room: one `INFO memory` at a time, into `book`. */
function createRoomReadings(
  connection: Redis | Cluster,
  options: MemoryRoomOptions,
  now: () => number,
  say: ReturnType<typeof createSay>,
) {
  const book: RoomBook = { reading: undefined, allowance: 0, readAt: -Infinity };
  let pending: Promise<void> | undefined;
  let answeredAt = -Infinity;
  const read = async () => {
    book.readAt = now();
    const { infos, failure } = await readInfos(connection);
    // A failed reading is tried again at the next write. One slow or failed reading (a busy machine, the command
    // bound) keeps the last answer for a while; INFO refused or a master away for longer ends it.
    if (!infos) book.readAt = -Infinity;
    if (!infos && book.reading && now() - answeredAt < STALE_AFTER_MS) return;
    if (infos) answeredAt = now();
    // Not connected, or no answer (not Redis refusing INFO: NOPERM, an unknown command): no room, and nothing said
    // (the cache's outage warning says it).
    if (!infos && !isReplyError(failure)) {
      book.reading = { state: 'unknown', allowance: 0 };
      book.allowance = 0;
      return;
    }
    const reading = roomAfter(infos, options.share, options.replicas);
    book.reading = reading;
    book.allowance = reading.allowance;
    if (reading.state === 'unknown') say('unknown', reading.info);
    else if (wellBelow(reading, options.share)) say('room', reading.info);
  };
  const refresh = () => {
    pending ??= read().finally(() => (pending = undefined));
    return pending;
  };
  return { book, refresh };
}

/**
 * The room a cache has in a Redis it shares (`roomAfter`), read with `INFO memory` of each master at most every
 * `everyMs`, while it writes; a write waits for the reading when the last one is older.
 */
export function createMemoryRoom(
  connection: Redis | Cluster,
  options: MemoryRoomOptions,
): MemoryRoom {
  // Monotonic: a step of the wall clock neither stops the readings nor makes one look fresh.
  const now = options.now ?? (() => performance.now());
  const say = createSay(options);
  const { book, refresh } = createRoomReadings(connection, options, now, say);
  return {
    async take(bytes) {
      // A stale answer waits for a fresh one: a registration is not awaited by the request it came with (Apollo
      // writes its persisted queries without waiting), so this wait is no request's.
      if (!book.reading || now() - book.readAt >= options.everyMs) await refresh();
      const { reading } = book;
      if (reading?.state === 'room' && book.allowance >= bytes) {
        book.allowance -= bytes;
        return true;
      }
      // A replica that used its part while Redis is well below half waits for its next reading, silently.
      if (reading && reading.state !== 'unknown' && !wellBelow(reading, options.share))
        say('full', reading.info);
      return false;
    },
    refresh: () => void refresh(),
  };
}
