import type http from 'node:http';
import type { Socket } from 'node:net';

const keptAlive = new WeakSet<object>();
const noop = () => undefined;

/**
 * Node's agents call `socket.setKeepAlive()` (a system call) every time a socket goes back to the pool; once per
 * socket is enough. Profiling the benchmark showed it at 2.5% of the gateway's CPU.
 */
export function keepAliveOnce<T extends http.Agent>(agent: T): T {
  // Node returns whether the socket may be kept; @types/node says void.
  const hooked = agent as unknown as { keepSocketAlive: (socket: Socket) => boolean };
  const keepSocketAlive = hooked.keepSocketAlive.bind(agent);
  hooked.keepSocketAlive = (socket) => {
    if (!keptAlive.has(socket)) {
      keptAlive.add(socket);
      return keepSocketAlive(socket);
    }
    const setKeepAlive = socket.setKeepAlive;
    socket.setKeepAlive = noop as unknown as Socket['setKeepAlive'];
    try {
      return keepSocketAlive(socket);
    } finally {
      socket.setKeepAlive = setKeepAlive;
    }
  };
  return agent;
}
