/**
 * Where automatic persisted queries keep their documents: Apollo Server's `persistedQueries.cache`
 * (https://www.apollographql.com/docs/apollo-server/performance/apq#cache-configuration). Always a bounded
 * in-process LRU; with Redis, also a store every replica shares, so a document registered on one replica runs by
 * its hash on all of them. Redis is never in a request's way: a failure or a slow answer (bounded by the
 * connection's command timeout) reads as "not found" (the client sends the document again) and a failed write as
 * "not registered" (this replica still has it in-process), never as an error.
 *
 * Whoever can write to that Redis is not trusted with what runs: a value read from it is bounded (GETRANGE, so a
 * planted multi-MB value is never pulled in whole) and runs only if its SHA-256 is the hash asked for; anything else
 * is "not found" too, and reported (without the text).
 */
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { sha256Hex } from './manifest';

/** The two Redis commands the shared store needs: a connection from src/redis/connection.ts has them. */
export interface SharedDocumentStore {
  /** GETRANGE, as bytes: `end` is inclusive; a missing key answers an empty buffer. */
  getrangeBuffer(key: string, start: number, end: number): Promise<Buffer>;
  set(key: string, value: string, expiry: 'EX', seconds: number): Promise<unknown>;
}

export type SharedStoreEvent =
  | { readonly available: false; readonly operation: 'get' | 'set'; readonly error: unknown }
  | { readonly available: true };

/** A value the shared store held under a hash, not used: longer than the bound, or not that hash's document. */
export interface RefusedValueEvent {
  readonly reason: 'too-long' | 'hash-mismatch' | 'wrong-type';
  /** The Redis key (a prefix and a SHA-256, never the value). */
  readonly key: string;
}

export interface ApqCacheOptions {
  /**
   * Characters the in-process LRU keeps, all together (GRAPHQL_APQ_CACHE_CHARACTERS): each entry counts its
   * document, its key and ENTRY_BOOKKEEPING.
   */
  readonly maxCharacters: number;
  /** The longest document stored anywhere (GRAPHQL_MAX_DOCUMENT_LENGTH). */
  readonly maxDocumentLength: number;
  /** How long a document read from the shared store stays in-process (Apollo gives the TTL of the writes). */
  readonly ttlSeconds: number;
  readonly shared?: SharedDocumentStore;
  /** Prefix of the shared store's keys; the rest of a key is a SHA-256, never text a client chose. */
  readonly keyPrefix?: string;
  /**
   * Whether the shared store has room for a document of `bytes` (its UTF-8 value and key) now (src/redis/memory-room.ts,
   * which adds what Redis spends besides): when it has not, it is kept in-process only. The quota windows share that
   * Redis and must not be refused.
   */
  readonly sharedRoom?: (bytes: number) => Promise<boolean>;
  /** The shared store stopped answering, or answers again: called on each change, not on each failure. */
  readonly onSharedStore?: (event: SharedStoreEvent) => void;
  /** The shared store held a value this cache would not use (someone else wrote it, or it is corrupted). */
  readonly onRefusedValue?: (event: RefusedValueEvent) => void;
  /** The in-process TTLs' clock, in milliseconds (tests). */
  readonly now?: () => number;
}

export const DEFAULT_KEY_PREFIX = 'intune-gateway:apq:';

/**
 * Apollo's key for a document: `apq:` (its APQ_CACHE_PREFIX) and the SHA-256 the client named, which
 * src/graphql/persisted/resolve.ts has checked is 64 lower-case hex digits. Only such keys are shared: a value read
 * back can be checked against the hash in its key.
 */
const APQ_KEY = /^apq:([0-9a-f]{64})$/;

/**
 * The most bytes a document of `maxCharacters` UTF-16 code units takes in UTF-8: 3 per code unit (a surrogate pair
 * is 2 units and 4 bytes).
 */
const maxUtf8Bytes = (maxCharacters: number) => maxCharacters * 3;

/**
 * What an entry costs besides its document and key, in characters: string headers, the Map's entry and lru-cache's
 * slots (links, size, TTL). Measured on Node 20 at about 140 bytes per entry beyond the two strings' characters.
 */
export const ENTRY_BOOKKEEPING = 150;

/**
 * An entry's size against the bound: the document, its key (68 characters for Apollo's) and the bookkeeping.
 * Counting the document alone let tiny documents hold many times the memory the bound names.
 */
const entrySize = (value: string, key: string) => value.length + key.length + ENTRY_BOOKKEEPING;

/** The in-process part: LRU by characters (each entry's overhead counted), entries past their TTL gone. */
function createLocalCache(options: ApqCacheOptions): InMemoryLRUCache<string> {
  return new InMemoryLRUCache<string>({
    maxSize: options.maxCharacters,
    sizeCalculation: entrySize,
    // A document bigger than the whole cache would only push everything else out.
    maxEntrySize: options.maxCharacters,
    ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
  });
}

/** Reports the shared store's availability on changes only: a Redis that is down fails every request. */
function createAvailability(report: ApqCacheOptions['onSharedStore']) {
  let available = true;
  return {
    failed(operation: 'get' | 'set', error: unknown) {
      if (!available) return;
      available = false;
      report?.({ available: false, operation, error });
    },
    answered() {
      if (available) return;
      available = true;
      report?.({ available: true });
    },
  };
}

/** Redis's answer to a string command on a key of another type (an ioredis ReplyError). */
const isWrongType = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith('WRONGTYPE');

/**
 * Reads a document from the shared store by its hash: at most the bound in bytes, then used only if it is the
 * hash's document. A failure reads as "not found" (reported through `availability`), never as an error.
 */
function createSharedReader(
  options: ApqCacheOptions,
  shared: SharedDocumentStore,
  availability: ReturnType<typeof createAvailability>,
) {
  const maxBytes = maxUtf8Bytes(options.maxDocumentLength);
  const refused = (reason: RefusedValueEvent['reason'], key: string) => {
    options.onRefusedValue?.({ reason, key });
    return undefined;
  };
  return async (redisKey: string, hash: string): Promise<string | undefined> => {
    let bytes: Buffer;
    try {
      // One byte past the bound: a value that long is refused without the rest of it ever leaving Redis.
      bytes = await shared.getrangeBuffer(redisKey, 0, maxBytes);
    } catch (error) {
      // A list or hash under the key (written by something else) is Redis answering, not Redis failing.
      if (isWrongType(error)) {
        availability.answered();
        return refused('wrong-type', redisKey);
      }
      availability.failed('get', error);
      return undefined;
    }
    availability.answered();
    // GETRANGE answers '' for a missing key; an empty document is none either.
    if (bytes.length === 0) return undefined;
    if (bytes.length > maxBytes) return refused('too-long', redisKey);
    const value = bytes.toString('utf8');
    if (value.length > options.maxDocumentLength) return refused('too-long', redisKey);
    if (sha256Hex(value) !== hash) return refused('hash-mismatch', redisKey);
    return value;
  };
}

export function createApqCache(options: ApqCacheOptions): KeyValueCache<string> {
  const local = createLocalCache(options);
  const { shared, maxDocumentLength } = options;
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const sharedKey = (key: string) => prefix + sha256Hex(key);
  const availability = createAvailability(options.onSharedStore);
  const readShared = shared && createSharedReader(options, shared, availability);
  const fits = (value: string) => value.length <= maxDocumentLength;
  // What Redis stores is UTF-8: a character may take three bytes.
  const hasRoom = async (redisKey: string, value: string) =>
    !options.sharedRoom ||
    options.sharedRoom(Buffer.byteLength(value, 'utf8') + Buffer.byteLength(redisKey, 'utf8'));

  return {
    async get(key) {
      const kept = await local.get(key);
      const hash = APQ_KEY.exec(key)?.[1];
      if (kept !== undefined || !readShared || !hash) return kept;
      const value = await readShared(sharedKey(key), hash);
      if (value !== undefined) await local.set(key, value, { ttl: options.ttlSeconds });
      return value;
    },
    async set(key, value, setOptions?: KeyValueCacheSetOptions) {
      if (!fits(value)) return;
      const ttl = setOptions?.ttl ?? options.ttlSeconds;
      await local.set(key, value, { ttl });
      if (!shared || !APQ_KEY.test(key) || !(await hasRoom(sharedKey(key), value))) return;
      try {
        await shared.set(sharedKey(key), value, 'EX', Math.max(1, Math.ceil(ttl)));
        availability.answered();
      } catch (error) {
        availability.failed('set', error);
      }
    },
    async delete(key) {
      return local.delete(key);
    },
  };
}
