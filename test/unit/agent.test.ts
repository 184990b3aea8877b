import http from 'node:http';
import type { Socket } from 'node:net';
import { keepAliveOnce } from '../../src/graph/agent';

describe('keepAliveOnce', () => {
  it('sets TCP keep-alive once per socket, and still lets the agent keep the socket', () => {
    const agent = keepAliveOnce(new http.Agent({ keepAlive: true }));
    const calls: unknown[][] = [];
    const socket = {
      setKeepAlive: (...args: unknown[]) => calls.push(args),
      unref: () => undefined,
      setTimeout: () => undefined,
      timeout: 0,
    } as unknown as Socket;
    const keep = (agent as unknown as { keepSocketAlive: (s: Socket) => boolean }).keepSocketAlive;
    expect(keep(socket)).toBe(true);
    expect(keep(socket)).toBe(true);
    expect(keep(socket)).toBe(true);
    expect(calls).toEqual([[true, 1000]]);
    agent.destroy();
  });
});
