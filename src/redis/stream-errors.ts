import type { Duplex } from 'node:stream';

/**
 * ioredis listens to its socket's errors with `once`, twice (the connector keeps the first error, the connection
 * handles it: connectors/StandaloneConnector.js, connectors/SentinelConnector/index.js, Redis.js `connect`), so a
 * socket that emits a second error has no listener left, and Node makes that an uncaught exception. A TLS socket
 * does that when its handshake fails: the connection's end (ECONNRESET, "Client network socket disconnected before
 * secure TLS connection was established"), then the node's alert read while it is torn down ("tlsv1 alert decode
 * error"). It ended gateways at start-up, under load, in quota-redis-topologies (a replica that does not trust the
 * cluster's CA). Reported upstream in 2020, still open: https://github.com/redis/ioredis/issues/1183 (fix proposed
 * and not merged: https://github.com/redis/ioredis/pull/961). The first error still goes where ioredis sends it; a
 * later one is the same failure told again, and is dropped.
 */
const GUARDED = Symbol.for('intune-graphql-gateway.ioredis.streamErrors');

interface ConnectorClass {
  readonly prototype: {
    connect: (...args: never[]) => Promise<unknown>;
    [GUARDED]?: true;
  };
}

const dropLaterError = () => undefined;

function isStream(value: unknown): value is Pick<Duplex, 'on'> {
  return typeof value === 'object' && value !== null && typeof (value as Duplex).on === 'function';
}

/** Gives every socket `connector` makes an error listener of its own, for as long as the socket lives. Once. */
export function guardConnectorStreams(connector: ConnectorClass): void {
  const prototype = connector.prototype;
  if (prototype[GUARDED]) return;
  const connect = prototype.connect;
  prototype.connect = async function (this: unknown, ...args: never[]) {
    const stream = await connect.apply(this, args);
    if (isStream(stream)) stream.on('error', dropLaterError);
    return stream;
  };
  prototype[GUARDED] = true;
}

/** Whether `connector`'s sockets are guarded (for the tests and the start-up check). */
export const isGuarded = (connector: ConnectorClass): boolean =>
  connector.prototype[GUARDED] === true;
