import type { ServerOptions } from 'node:http';

export interface HttpTimeoutOptions {
  /** The most time a client may take to send one whole request, headers and body (REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests (KEEP_ALIVE_TIMEOUT_MS). */
  readonly keepAliveTimeoutMs: number;
}

export interface FastifyTimeouts {
  readonly requestTimeout: number;
  readonly keepAliveTimeout: number;
  readonly http: ServerOptions;
}

/**
 * Fastify's server options that end slow and idle connections (slowloris). Fastify leaves `requestTimeout` at 0
 * (no limit); Node then answers 408 and closes a connection whose request is not complete in time. Node checks
 * for late requests every `connectionsCheckingInterval` (30 s by default, more than the timeout itself), so the
 * check runs four times per timeout: a dripping client is cut within 1.25 × REQUEST_TIMEOUT_MS.
 * `connectionTimeout` (socket inactivity) stays 0: it would also cut a request waiting on Graph for up to
 * GRAPH_DEADLINE_MS, and the two bounds here already cover the receiving and the idle time.
 * https://fastify.dev/docs/latest/Reference/Server/#requesttimeout
 * https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener
 */
export function fastifyTimeouts(options: HttpTimeoutOptions): FastifyTimeouts {
  const requestTimeout = options.requestTimeoutMs;
  return {
    requestTimeout,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    http: {
      requestTimeout,
      // The headers are part of the request: they get no more time than the whole of it.
      headersTimeout: requestTimeout,
      connectionsCheckingInterval: Math.max(50, Math.floor(requestTimeout / 4)),
    },
  };
}
