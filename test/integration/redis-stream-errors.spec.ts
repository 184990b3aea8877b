import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SentinelConnector } from 'ioredis';
import { createRedisConnection } from '../../src/redis/connection';
import type { RedisConnection } from '../../src/redis/connection';
import { readRedisSettings } from '../../src/redis/settings';
import { isGuarded } from '../../src/redis/stream-errors';
import { waitFor } from '../helpers/wait';

/**
 * A socket of ioredis's that emits a second error must not end the process (src/redis/stream-errors.ts: ioredis
 * listens with `once`, and a failed TLS handshake can emit two). Here over a real TCP connection to a server that
 * never answers, the two errors emitted on the socket itself, as Node's TLS layer does.
 */
let server: net.Server;
let connection: RedisConnection | undefined;
const accepted: net.Socket[] = [];
beforeAll(async () => {
  server = net.createServer((socket) => void accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  connection?.disconnect();
  for (const socket of accepted) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

it('a second error on a connection’s socket is not an uncaught exception; the first still reaches the gateway', async () => {
  const { port } = server.address() as AddressInfo;
  const settings = readRedisSettings({ REDIS_URL: `redis://127.0.0.1:${port}` });
  if (!settings.ok || !settings.settings) throw new Error('settings refused');
  const seen: unknown[] = [];
  connection = createRedisConnection(settings.settings, {
    commandTimeoutMs: 500,
    onConnectionError: (error) => seen.push(error),
  });
  await waitFor(() => (connection as { stream?: unknown } | undefined)?.stream !== undefined);
  const socket = (connection as unknown as { stream: net.Socket }).stream;
  await waitFor(() => !socket.connecting);
  const reset = Object.assign(new Error('Client network socket disconnected'), {
    code: 'ECONNRESET',
  });
  socket.emit('error', reset);
  expect(() => socket.emit('error', new Error('tlsv1 alert decode error'))).not.toThrow();
  await waitFor(() => seen.length > 0);
  expect(seen[0]).toBe(reset);
});

it('Sentinel’s connector is guarded the same way', () => {
  expect(isGuarded(SentinelConnector as unknown as Parameters<typeof isGuarded>[0])).toBe(true);
});
