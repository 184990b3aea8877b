import type { Cluster, Redis } from 'ioredis';

/** What `INFO memory` says of a node's limit (`maxmemory` 0 is none) and use. */
export interface RedisMemoryInfo {
  readonly maxmemory: number;
  readonly policy: string;
  /** `used_memory`, in bytes; 0 when the line is missing. */
  readonly used: number;
}

/** `maxmemory` and `maxmemory_policy` out of `INFO memory`'s `name:value` lines; undefined if either is missing. */
export function parseMemoryInfo(text: string): RedisMemoryInfo | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const maxmemory = Number(fields.get('maxmemory'));
  const policy = fields.get('maxmemory_policy');
  if (!Number.isFinite(maxmemory) || !policy) return undefined;
  const used = Number(fields.get('used_memory'));
  return { maxmemory, policy, used: Number.isFinite(used) ? used : 0 };
}

/**
 * Whether Redis may evict the quota windows. Every window key has a TTL, so `volatile-*` policies evict them as
 * readily as `allkeys-*`: a call evicted from a window is forgotten, and replicas may send it again within the
 * window (19 to 29 calls over in the probe of 2026-12-06 with `volatile-ttl`, which evicts the shortest TTL first:
 * the windows). With `noeviction` a full Redis refuses writes and every replica falls back (docs/quotas.md). Azure
 * Cache for Redis and ElastiCache default to `volatile-lru`. Without `maxmemory` nothing is evicted.
 */
export function evicts(info: RedisMemoryInfo): boolean {
  return info.maxmemory > 0 && info.policy !== 'noeviction';
}

/** `INFO memory` of each node that holds keys: the masters of a Cluster, or the one node. */
export async function readMemoryInfo(connection: Redis | Cluster): Promise<RedisMemoryInfo[]> {
  const nodes: Array<Pick<Redis, 'info'>> =
    'nodes' in connection && typeof connection.nodes === 'function'
      ? connection.nodes('master')
      : [connection];
  const texts = await Promise.all(nodes.map((node) => node.info('memory')));
  return texts.map(parseMemoryInfo).filter((info): info is RedisMemoryInfo => info !== undefined);
}

export interface MemoryRoomOptions {
  /** The part of `maxmemory` a cache may fill: above it, no more writes. */
  readonly share: number;
  /** How often `INFO memory` is read again, at most (in the background: a caller never waits for it). */
  readonly everyMs: number;
  readonly now?: () => number;
  /** Called when the answer changes (the first reading that says "no room", then "room again"). */
  readonly onChange?: (room: boolean, info: RedisMemoryInfo) => void;
}

/**
 * Whether a cache sharing a Redis with data that must not be refused (the quota windows) may write one more entry:
 * every master below `share` of its `maxmemory`. Read in the background, at most every `everyMs`: the answer is the
 * last reading's, and room until a first reading says otherwise, or when there is no `maxmemory` to compare with (or
 * INFO is refused). Without it, one client with no token filled a 96 MB Redis with automatic persisted queries in
 * 7 s, and every replica's quota windows fell back for the hour those documents lived.
 */
export function createMemoryRoom(
  connection: Redis | Cluster,
  options: MemoryRoomOptions,
): () => boolean {
  const now = options.now ?? Date.now;
  let room = true;
  let readAt = -Infinity;
  let reading = false;
  const read = async () => {
    reading = true;
    try {
      const infos = await readMemoryInfo(connection);
      const full = infos.find(
        (info) => info.maxmemory > 0 && info.used >= options.share * info.maxmemory,
      );
      const next = full === undefined;
      if (next !== room && infos[0]) options.onChange?.(next, full ?? infos[0]);
      room = next;
    } catch {
      // INFO refused (an ACL user without it) or Redis away: the last answer stands.
    } finally {
      reading = false;
    }
  };
  return () => {
    if (!reading && now() - readAt >= options.everyMs) {
      readAt = now();
      void read();
    }
    return room;
  };
}
