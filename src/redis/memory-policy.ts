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
