/**
 * Where automatic persisted queries keep their documents: Apollo Server's `persistedQueries.cache`
 * (https://www.apollographql.com/docs/apollo-server/performance/apq#cache-configuration). Always a bounded
 * in-process LRU; with Redis, also a store every replica shares, so a document registered on one replica runs by
 * its hash on all of them. Redis is never in a request's way: a failure or a slow answer (bounded by the
 * connection's command timeout) reads as "not found" (the client sends the document again) and a failed write as
 * "not registered" (this replica still has it in-process), never as an error.
 */
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { sha256Hex } from './manifest';

/** The two Redis commands the shared store needs: a connection from src/redis/connection.ts has them. */
export interface SharedDocumentStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, expiry: 'EX', seconds: number): Promise<unknown>;
}

export type SharedStoreEvent =
  | { readonly available: false; readonly operation: 'get' | 'set'; readonly error: unknown }
  | { readonly available: true };

export interface ApqCacheOptions {
  /** Characters of documents the in-process LRU keeps, all together (GRAPHQL_APQ_CACHE_CHARACTERS). */
  readonly maxCharacters: number;
  /** The longest document stored anywhere (GRAPHQL_MAX_DOCUMENT_LENGTH). */
  readonly maxDocumentLength: number;
  /** How long a document read from the shared store stays in-process (Apollo gives the TTL of the writes). */
  readonly ttlSeconds: number;
  readonly shared?: SharedDocumentStore;
  /** Prefix of the shared store's keys; the rest of a key is a SHA-256, never text a client chose. */
  readonly keyPrefix?: string;
  /** The shared store stopped answering, or answers again: called on each change, not on each failure. */
  readonly onSharedStore?: (event: SharedStoreEvent) => void;
  /** The in-process TTLs' clock, in milliseconds (tests). */
  readonly now?: () => number;
}

export const DEFAULT_KEY_PREFIX = 'intune-gateway:apq:';

/** The in-process part: LRU by characters, entries past their TTL gone. */
function createLocalCache(options: ApqCacheOptions): InMemoryLRUCache<string> {
  return new InMemoryLRUCache<string>({
    maxSize: options.maxCharacters,
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

export function createApqCache(options: ApqCacheOptions): KeyValueCache<string> {
  const local = createLocalCache(options);
  const { shared, maxDocumentLength } = options;
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const sharedKey = (key: string) => prefix + sha256Hex(key);
  const availability = createAvailability(options.onSharedStore);
  const fits = (value: string) => value.length <= maxDocumentLength;

  async function readShared(key: string): Promise<string | undefined> {
    if (!shared) return undefined;
    let value: string | null;
    try {
      value = await shared.get(sharedKey(key));
    } catch (error) {
      availability.failed('get', error);
      return undefined;
    }
    availability.answered();
    if (value === null || !fits(value)) return undefined;
    await local.set(key, value, { ttl: options.ttlSeconds });
    return value;
  }

  return {
    async get(key) {
      return (await local.get(key)) ?? readShared(key);
    },
    async set(key, value, setOptions?: KeyValueCacheSetOptions) {
      if (!fits(value)) return;
      const ttl = setOptions?.ttl ?? options.ttlSeconds;
      await local.set(key, value, { ttl });
      if (!shared) return;
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
