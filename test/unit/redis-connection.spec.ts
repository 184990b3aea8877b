import { EventEmitter } from 'node:events';
import { REDIS_RECONNECT_MAX_MS, keepConnected } from '../../src/redis/connection';

/**
 * What keepConnected does with an end, on a stand-in with ioredis's surface (its status, `connect`, `disconnect`,
 * `quit`, the `end` event). The race that ends a real connection on its own (a Sentinel failover seen while
 * reconnecting) is timing-bound; the loaded failover runs of test/integration/quota-redis-sentinels.spec.ts are
 * where it showed.
 */
class StandIn extends EventEmitter {
  status = 'ready';
  connects = 0;
  connect = () => {
    this.connects += 1;
    this.status = 'ready';
    return Promise.resolve();
  };
  disconnect = (reconnect?: boolean) => {
    if (!reconnect) this.end();
  };
  quit = () => {
    this.end();
    return Promise.resolve('OK' as const);
  };
  end() {
    this.status = 'end';
    this.emit('end');
  }
}

function kept() {
  const connection = new StandIn();
  const errors: unknown[] = [];
  keepConnected(connection as never, { onConnectionError: (error) => errors.push(error) });
  return { connection, errors };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('keepConnected', () => {
  it('an end nobody asked for: said, then a new connect REDIS_RECONNECT_MAX_MS later', () => {
    const { connection, errors } = kept();
    connection.end();
    expect(errors).toEqual([new Error('the connection ended on its own; connecting again')]);
    jest.advanceTimersByTime(REDIS_RECONNECT_MAX_MS - 1);
    expect(connection.connects).toBe(0);
    jest.advanceTimersByTime(1);
    expect(connection.connects).toBe(1);
  });

  it.each([
    ['disconnect()', (connection: StandIn) => connection.disconnect()],
    ['quit()', (connection: StandIn) => void connection.quit()],
  ])('an end asked for with %s: no new connect', (_name, close) => {
    const { connection, errors } = kept();
    close(connection);
    jest.advanceTimersByTime(10 * REDIS_RECONNECT_MAX_MS);
    expect(connection.connects).toBe(0);
    expect(errors).toEqual([]);
  });

  it('closed while the new connect waits: it does not happen', () => {
    const { connection } = kept();
    connection.end();
    connection.disconnect();
    jest.advanceTimersByTime(REDIS_RECONNECT_MAX_MS);
    expect(connection.connects).toBe(0);
  });

  it('disconnect(true) (reconnect) is not a close: a later end on its own still reconnects', () => {
    const { connection } = kept();
    connection.disconnect(true);
    connection.status = 'ready';
    connection.end();
    jest.advanceTimersByTime(REDIS_RECONNECT_MAX_MS);
    expect(connection.connects).toBe(1);
  });
});
