import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Span } from '@opentelemetry/api';
import type { FastifyBaseLogger } from 'fastify';
import { createGraphClient } from './graph/client';
import type { GraphAttemptEvent, GraphClient, GraphTransport } from './graph/client';
import { createUserStatusLoader } from './graph/reads';
import type { UserStatusLoader } from './graph/reads';
import type { GatewayMetrics } from './metrics';

/** What the one log line of a request reports, filled in as the request runs. */
export interface RequestSummary {
  operationName: string | null;
  errorCodes: string[];
  readonly graphRequestIds: string[];
  readonly clientRequestId: string;
}

/** Everything a resolver may use. Built per request; nothing in it outlives the request. */
export interface GatewayContext {
  readonly graph: GraphClient;
  readonly loaders: { readonly userStatus: UserStatusLoader };
  /** MAX_BULK_INPUTS: the most inputs one bulk mutation may carry. */
  readonly maxBulkInputs: number;
  readonly log: FastifyBaseLogger;
  readonly summary: RequestSummary;
  /** The request's span, when tracing is on. */
  readonly span?: Span;
}

export interface ContextOptions {
  readonly transport: GraphTransport;
  /** GRAPH_DEADLINE_MS: the budget of the whole operation, from now. */
  readonly deadlineMs: number;
  readonly maxBulkInputs: number;
  readonly headers: IncomingHttpHeaders;
  readonly log: FastifyBaseLogger;
  readonly metrics: GatewayMetrics;
  readonly summary: RequestSummary;
  readonly signal?: AbortSignal;
  readonly span?: Span;
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

/** A summary to fill while a request runs; its client-request-id is the one sent to Graph. */
export function createRequestSummary(headers: IncomingHttpHeaders): RequestSummary {
  return {
    operationName: null,
    errorCodes: [],
    graphRequestIds: [],
    clientRequestId: clientRequestIdFrom(headers['client-request-id']),
  };
}

export function createGatewayContext(options: ContextOptions): GatewayContext {
  const { log, metrics, summary } = options;
  const graph = createGraphClient({
    transport: options.transport,
    authorization: bearerAuthorization(options.headers.authorization),
    clientRequestId: summary.clientRequestId,
    deadline: Date.now() + options.deadlineMs,
    ...(options.signal ? { signal: options.signal } : {}),
    events: {
      attempt(event) {
        if (event.requestId) summary.graphRequestIds.push(event.requestId);
        metrics.observeAttempt(event);
        logAttempt(log, event);
      },
      batch: (size) => metrics.observeBatch(size),
    },
  });
  let userStatus: UserStatusLoader | undefined;
  return {
    graph,
    // Built on first use: most operations (every mutation) never read through it.
    loaders: {
      get userStatus() {
        return (userStatus ??= createUserStatusLoader(graph));
      },
    },
    maxBulkInputs: options.maxBulkInputs,
    log,
    summary,
    ...(options.span ? { span: options.span } : {}),
  };
}

/** One debug line per Graph call; a warning when Graph throttles or fails. Never the token or a body. */
function logAttempt(log: FastifyBaseLogger, event: GraphAttemptEvent): void {
  if (event.failure === null) log.debug({ graph: event }, 'graph call');
  else
    log.warn(
      { graph: event },
      event.retryInMs === null ? 'graph call failed' : 'graph call failed, retrying',
    );
}
