import type { Cluster, Redis } from 'ioredis';
import { QuotaStoreError } from '../store';

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
export const isReplyError = (error: unknown): error is Error =>
  (error as { name?: unknown } | undefined)?.name === 'ReplyError';
export const replyWords = (error: Error) => error.message.split('\n')[0]!.slice(0, 120);

/**
 * ioredis's own words for a command that never reached Redis or lost its connection on the way: a socket that had
 * ended while ioredis still said 'ready' (Redis's FIN read, its 'close' not yet), the queue flushed at a drop
 * (`maxRetriesPerRequest`), a connection closed. An outage, not an error of Redis's or of the command.
 * https://github.com/redis/ioredis/blob/main/lib/Redis.ts (sendCommand), lib/redis/event_handler.ts (closeHandler)
 */
const CONNECTION_LOST = [
  "Stream isn't writeable",
  'Connection is closed.',
  'Reached the max retries per request limit',
];

export const isConnectionLost = (error: unknown): boolean =>
  error instanceof Error &&
  error.name !== 'ReplyError' &&
  CONNECTION_LOST.some((words) => error.message.startsWith(words));

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
 * What the store knows of its connection, in words safe to log: the last connection error, whether it is known to be
 * unreachable, and who listens (the pacer's fallback). `unreachable` is set when the start-up wait gave up, until the
 * connection is ready; a watcher that starts later hears it at once. Without it nobody said so before a first call
 * failed: a Sentinel connection whose sentinels never answer says 'error' only, never 'close' (ioredis's
 * SentinelConnector retries inside one connect), and the 'close' of each refused attempt came before the pacer,
 * built after the wait, watched (the metrics said `shared` meanwhile).
 */
export function watchConnection(redis: Redis | Cluster, address: string) {
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
