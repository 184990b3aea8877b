import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Span } from '@opentelemetry/api';
import type { FastifyBaseLogger } from 'fastify';
import { createUserStatusLoader } from '../graph';
import type {
  GraphAttemptEvent,
  GraphClient,
  GraphHooks,
  GraphService,
  ListSupport,
  UserStatusLoader,
} from '../graph';
import type { GatewayMetrics } from '../observability/metrics';
import { createRequestSummary, recordGraphRequestId } from '../observability/request-summary';
import type { RequestSummary } from '../observability/request-summary';

/** Per-request state, built once when the request arrives (Fastify's request decoration). */
export interface RequestState {
  readonly summary: RequestSummary;
  /** The caller's `Authorization` header when it carries a bearer token, read once; otherwise `null`. */
  readonly authorization: string | null;
  /** The request's span, when tracing is on. */
  readonly span?: Span;
}

/** Everything a resolver may use. Built per request; nothing in it outlives the request. */
export interface GatewayContext {
  readonly graph: GraphClient;
  /** The configured Graph root, for checking list cursors. */
  readonly graphBase: URL;
  readonly listSupport: ListSupport;
  readonly loaders: { readonly userStatus: UserStatusLoader };
  readonly log: FastifyBaseLogger;
  readonly summary: RequestSummary;
  /** `performance.now()` when the operation's context was built: its duration metric counts from here. */
  readonly startedAt: number;
  readonly span?: Span;
}

/** Process-wide dependencies of the context factory, given once. */
export interface ContextFactoryOptions {
  readonly graph: GraphService;
  readonly listSupport: ListSupport;
  readonly metrics: GatewayMetrics;
  /** GRAPH_DEADLINE_MS: the budget of the whole operation, from its start. */
  readonly deadlineMs: number;
}

/** What the factory needs from one request. */
export interface ContextInput {
  readonly state: RequestState;
  readonly log: FastifyBaseLogger;
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

/** What the request state is read from: Node's request (its headers as parsed, and as they came). */
export interface RequestHeaders {
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders?: readonly string[];
}

/**
 * The `Authorization` header, or both when it came twice. Node keeps the first of two and drops the other, yet a
 * proxy in front may have read the last: which token the caller meant is ambiguous, so such a request has no token
 * (RFC 9110 §5.3: a field that is not a list must not be repeated). Scanned only when there is one (a loop over
 * the raw pairs; Node's `headersDistinct` would build an object of every header on every request).
 */
export function authorizationOf(request: RequestHeaders): string | string[] | undefined {
  const first = request.headers.authorization;
  const raw = request.rawHeaders;
  if (first === undefined || !raw) return first;
  let seen = 0;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization' && ++seen > 1)
      return [first, raw[index + 1]!];
  }
  return first;
}

/** The request's state: its summary, and its bearer token read once. */
export function createRequestState(request: RequestHeaders, span?: Span): RequestState {
  const state = {
    summary: createRequestSummary(clientRequestIdFrom(request.headers['client-request-id'])),
    authorization: bearerAuthorization(authorizationOf(request)),
  };
  return span ? { ...state, span } : state;
}

function graphHooks(
  metrics: GatewayMetrics,
  log: FastifyBaseLogger,
  summary: RequestSummary,
): GraphHooks {
  return {
    attempt(event) {
      if (event.requestId) recordGraphRequestId(summary, event.requestId);
      metrics.observeAttempt(event);
      logAttempt(log, event);
    },
    batch: (size) => metrics.observeBatch(size),
  };
}

/**
 * Loaders built on first use: most operations (every mutation) never read through one. A class, as this is made
 * per request and an object literal with a getter is several times dearer to create.
 */
class RequestLoaders {
  private userStatusLoader: UserStatusLoader | undefined;

  constructor(private readonly graph: GraphClient) {}

  get userStatus(): UserStatusLoader {
    return (this.userStatusLoader ??= createUserStatusLoader(this.graph));
  }
}

/** Built once per gateway; returns the per-request context builder Apollo calls. */
export function createContextFactory(options: ContextFactoryOptions) {
  return ({ state, log }: ContextInput): GatewayContext => {
    const { summary } = state;
    const graph = options.graph.client({
      authorization: state.authorization,
      clientRequestId: summary.clientRequestId,
      // The server ends the operation (`graph.end()`) when its response closes or its client goes away.
      deadline: Date.now() + options.deadlineMs,
      hooks: graphHooks(options.metrics, log, summary),
    });
    const context: GatewayContext = {
      graph,
      graphBase: options.graph.base,
      listSupport: options.listSupport,
      loaders: new RequestLoaders(graph),
      log,
      summary,
      startedAt: performance.now(),
    };
    return state.span ? { ...context, span: state.span } : context;
  };
}

/**
 * One debug line per Graph call; a warning when Graph throttles or fails. A call the gateway cancelled itself (its
 * client went away, or the answer was sent while a sibling call was still in flight) is no failure of Graph's: a
 * debug line too. Never the token or a body.
 */
function logAttempt(log: FastifyBaseLogger, event: GraphAttemptEvent): void {
  if (event.failure === null) log.debug({ graph: event }, 'graph call');
  else if (event.failure === 'cancelled') log.debug({ graph: event }, 'graph call cancelled');
  else
    log.warn(
      { graph: event },
      event.retryInMs === null ? 'graph call failed' : 'graph call failed, retrying',
    );
}
