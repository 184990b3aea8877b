import type { Cluster, Redis } from 'ioredis';

type RedisConnection = Redis | Cluster;

/** Emitted on a connection each time it is ready and Redis has answered on it (see `trackAnswering`). */
export const REDIS_ANSWERING = 'answering';

type Answerable = Pick<RedisConnection, 'on' | 'emit' | 'ping' | 'status'>;

const answering = new WeakSet<object>();

/**
 * 'ready' is not "Redis answers": without a ready check ioredis says 'ready' once the socket is open, before AUTH's
 * answer, and before a server that refuses the client's certificate says so (with TLS 1.3 it does after the
 * client's handshake). A refused password or certificate read ready at each reconnect: the start-up wait ended at
 * once with nothing said, and "is ready" was logged every half second. So each 'ready' is followed by one PING, and
 * its answer (NOPERM included: an ACL user without PING is still let in) makes the connection answering, said with
 * REDIS_ANSWERING; 'close' ends it.
 */
export function trackAnswering(connection: Answerable): void {
  const answered = () => {
    if (connection.status !== 'ready') return;
    answering.add(connection);
    connection.emit(REDIS_ANSWERING);
  };
  connection.on('ready', () => {
    connection.ping().then(answered, (error: unknown) => {
      const message = (error as { message?: unknown } | undefined)?.message;
      if (typeof message === 'string' && message.startsWith('NOPERM')) answered();
    });
  });
  connection.on('close', () => answering.delete(connection));
}

/**
 * Resolves true once Redis answers on the connection, false if it does not within `withinMs`: start-up waits that
 * long at most, then serves anyway (every Redis user degrades while it is away).
 */
export function redisAnswering(connection: RedisConnection, withinMs: number): Promise<boolean> {
  if (answering.has(connection)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const answered = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      connection.off(REDIS_ANSWERING, answered);
      resolve(false);
    }, withinMs);
    connection.once(REDIS_ANSWERING, answered);
  });
}
