import tls from 'node:tls';
import { tlsOptions } from './client-certificate';
import { nodeText } from './settings';
import type { RedisNode, RedisSettings } from './settings';

/**
 * Why a TLS connection to Redis fails, for the log: ioredis does not say. The connections it makes to learn a
 * Cluster's slots and to ask the sentinels for the master ignore their errors (cluster/index.js, `getInfoFromNode`:
 * `duplicatedConnection.on("error", noop)`; connectors/SentinelConnector/index.js, `resolve`:
 * `client.on("error", noop)`), and what reaches the gateway is the command's "Connection is closed."
 * (https://github.com/redis/ioredis/issues/837): a CA missing from NODE_EXTRA_CA_CERTS read as a lost connection.
 * One handshake of our own, as ioredis makes it (`tls.connect` with the host and port, Node's trust store), names it.
 */

/** The node a TLS connection goes to first: the one Redis, the Cluster's seed, or the first sentinel; none without TLS. */
export function firstTlsNode(settings: RedisSettings): RedisNode | undefined {
  if (settings.mode === 'cluster') return settings.auth.tls ? settings.seed : undefined;
  if (settings.mode === 'sentinel') return settings.auth.tls ? settings.sentinels[0] : undefined;
  const url = new URL(settings.url);
  if (url.protocol !== 'rediss:') return undefined;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) };
}

/** Codes of a certificate Node refused because no trusted CA signs it (OpenSSL's names). */
const UNTRUSTED =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_UNTRUSTED)$/;

/** The alerts of a server that refused the client's certificate (OpenSSL's names, as Node's codes give them). */
const CLIENT_REFUSED =
  /^ERR_SSL_(SSLV3|TLSV1)_ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|UNSUPPORTED_CERTIFICATE|CERTIFICATE_\w+|ACCESS_DENIED)$/;

/** What the server said of the client's certificate, in words; undefined for other failures. */
function clientCertificateProblem(code: string, where: string): string | undefined {
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')
    return `TLS client certificate required by ${where} (${code}): set REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE`;
  if (CLIENT_REFUSED.test(code))
    return `TLS client certificate refused by ${where} (${code}): is it valid, and signed by a CA the server trusts (its tls-ca-cert-file)?`;
  return undefined;
}

/**
 * A failed handshake in words safe to log: its code and Node's or OpenSSL's message, which speak of the certificate
 * and the names in it (the handshake comes before AUTH: no password is sent yet, nor can be quoted). A server's
 * alert about the client's certificate is named by its code alone (OpenSSL's message for it is a source path).
 */
export function handshakeProblem(error: unknown, where: string): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const client = typeof code === 'string' ? clientCertificateProblem(code, where) : undefined;
  if (client) return client;
  const text = typeof message === 'string' ? message.slice(0, 200) : '';
  const words = `${typeof code === 'string' ? code : 'no code'}: ${text}`;
  if (typeof code === 'string' && UNTRUSTED.test(code))
    return `TLS certificate of ${where} not trusted (${words}): is its CA in NODE_EXTRA_CA_CERTS?`;
  if (typeof code === 'string' && /CERT|ALTNAME/.test(code))
    return `TLS certificate of ${where} refused (${words})`;
  return `TLS handshake with ${where} failed (${words})`;
}

/**
 * Resolves the handshake's problem with the first node, in words, or undefined when the handshake succeeds and the
 * node answers, when no connection is made at all (refused, not found: the store says those) or when nothing is
 * answered in `timeoutMs`. The handshake presents the client certificate when there is one, as the connections do.
 * With TLS 1.3 a server refuses a client's certificate after the client has finished its handshake, so the check
 * waits for the node's first answer (to PING, or NOAUTH's) or that refusal.
 */
export function redisTlsProblem(
  settings: RedisSettings,
  timeoutMs: number,
): Promise<string | undefined> {
  const node = firstTlsNode(settings);
  if (!node) return Promise.resolve(undefined);
  const where = nodeText(node);
  return new Promise((resolve) => {
    let connected = false;
    const socket = tls.connect({ host: node.host, port: node.port, ...tlsOptions(settings) });
    const done = (problem?: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => done(), timeoutMs);
    socket.once('connect', () => (connected = true));
    socket.once('secureConnect', () => socket.write('PING\r\n'));
    socket.once('data', () => done());
    socket.once('close', () => done());
    // `on`, not `once`: a refused handshake can emit a second error (the node's alert read while the socket is torn
    // down, e.g. "tlsv1 alert decode error" after the certificate was not trusted), and an 'error' with no listener
    // is an uncaught exception: it ended gateways at start-up under load (test/integration/quota-redis-topologies).
    socket.on('error', (error) => done(connected ? handshakeProblem(error, where) : undefined));
  });
}
