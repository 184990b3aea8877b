import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { createGraphClient } from './graph/client';
import type { GraphClient, GraphTransport } from './graph/client';

/** Everything a resolver may use. Built per request; nothing in it outlives the request. */
export interface GatewayContext {
  readonly graph: GraphClient;
  readonly log: FastifyBaseLogger;
}

export interface ContextOptions {
  readonly transport: GraphTransport;
  readonly headers: IncomingHttpHeaders;
  readonly log: FastifyBaseLogger;
  readonly signal?: AbortSignal;
}

// RFC 6750 §2.1: `Bearer` then one b64token. Anything else (no header, empty, another scheme, a second word,
// CR/LF) counts as no token, and nothing is sent to Graph.
const BEARER = /^Bearer +[A-Za-z0-9\-._~+/]+=*$/i;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The caller's `Authorization` header when it carries a bearer token, unchanged; otherwise `null`. */
export function bearerAuthorization(header: string | string[] | undefined): string | null {
  return typeof header === 'string' && BEARER.test(header) ? header : null;
}

/** The caller's `client-request-id` when it is a GUID (Graph's format), else a fresh one. */
export function clientRequestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && GUID.test(header) ? header : randomUUID();
}

export function createGatewayContext(options: ContextOptions): GatewayContext {
  const graph = createGraphClient({
    transport: options.transport,
    authorization: bearerAuthorization(options.headers.authorization),
    clientRequestId: clientRequestIdFrom(options.headers['client-request-id']),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { graph, log: options.log };
}
