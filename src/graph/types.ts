import type { HttpTransport } from './http/transport';
import type { QuotaPacer } from './quota/types';
import type { GraphError } from './errors';
import type { PathLabel } from './user-statuses/paths';
import type { JsonObject } from './client/response';
import type { AttemptFailure, GraphMethod, RetryPolicyOptions } from './client/retry';
import type { TenantCapHooks } from './tenant-cap/lanes';

export interface GraphRequest extends PathLabel {
  readonly method: GraphMethod;
  /** Relative to the version root, starting with `/`, ids validated and encoded, query string included. */
  readonly path: string;
  readonly body?: unknown;
  /** It completes a write Graph applied (a 204's read-back): its budget goes ahead of waiting calls'. */
  readonly continuation?: boolean;
}

export interface BatchOptions {
  /** The items complete writes Graph applied (204s read back): their budget goes ahead of waiting calls'. */
  readonly continuation?: boolean;
}

export interface GraphResult {
  readonly status: number;
  /** The JSON object Graph answered, or `undefined` for 204 and empty bodies. */
  readonly body: JsonObject | undefined;
  readonly requestId: string | null;
  readonly clientRequestId: string | null;
}

/** One request of a `$batch`. Only idempotent methods are batched, so a throttled item can be sent again. */
export interface BatchItem extends PathLabel {
  readonly method: 'GET' | 'PATCH';
  readonly path: string;
  readonly body?: object;
}

export type ItemOutcome =
  | {
      readonly ok: true;
      readonly status: number;
      readonly body: JsonObject | undefined;
      readonly requestId: string | null;
    }
  | { readonly ok: false; readonly error: GraphError };

/** Per request: sends with the caller's token, paces, retries, and turns every failure into a `GraphError`. */
export interface GraphClient {
  request(request: GraphRequest): Promise<GraphResult>;
  /** Runs the items with as few round trips as Graph allows; one outcome per item, in item order. */
  batch(items: readonly BatchItem[], options?: BatchOptions): Promise<ItemOutcome[]>;
  /**
   * The operation is over (its answer is sent, or its caller went away): the deadline timer is cleared, calls
   * still in flight are cancelled, and later calls send nothing. Idempotent.
   */
  end(): void;
  /**
   * Whether Graph has accepted this operation's token: it called Graph, and an answer to it or to an earlier
   * operation was one only a genuine token gets (a 2xx, a 404; not a 401/403, a 429, a 5xx: `provesToken`).
   */
  tokenProven(): boolean;
}

/** What the client reports after each attempt, for logs and metrics; never the token or a body. */
export interface GraphAttemptEvent extends PathLabel {
  readonly method: GraphMethod;
  readonly attempt: number;
  readonly status: number | null;
  readonly durationMs: number;
  readonly requestId: string | null;
  readonly failure: AttemptFailure['kind'] | 'cancelled' | null;
  readonly retryInMs: number | null;
}

/** A span as the Graph layer sees it; the server layer adapts OpenTelemetry's. */
export interface GraphSpan {
  setAttributes(attributes: Readonly<Record<string, string | number>>): void;
}

/** Runs a Graph call inside a span (or as it is, when tracing is off). */
export type GraphTracer = <T>(
  name: string,
  attributes: Readonly<Record<string, string>>,
  call: (span: GraphSpan | undefined) => Promise<T>,
) => Promise<T>;

/** Hooks for logs, metrics and the request summary; they never see the token or a body. */
export interface GraphHooks {
  attempt?(event: GraphAttemptEvent): void;
  batch?(size: number): void;
}

/** Time as the client sees it; tests replace it to check exact delays without waiting. */
export interface GraphClock {
  now(): number;
  /** Resolves after `ms`, or rejects with the cancellation error when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

/** Process-wide: one per gateway. Holds no user data. */
export interface GraphServiceOptions {
  /** Graph's root with its version, e.g. `https://graph.microsoft.com/beta`; no trailing slash. */
  readonly baseUrl: string;
  /** Per attempt (GRAPH_TIMEOUT_MS). */
  readonly timeoutMs: number;
  readonly userAgent: string;
  readonly retry: RetryPolicyOptions;
  readonly transport: HttpTransport;
  readonly clock?: GraphClock;
  readonly tracer?: GraphTracer;
  /** Intune quota pacing (GRAPH_QUOTAS); absent: calls leave unpaced. */
  readonly quota?: QuotaPacer;
  /** Each tenant's share of the connections to Graph (`tenant-cap/policy.ts`); always on. */
  readonly tenantCap?: TenantCapOptions;
}

export interface TenantCapOptions {
  /** Calls of one tenant in flight at once (GRAPH_TENANT_MAX_IN_FLIGHT); a quarter of the pool by default. */
  readonly maxInFlight?: number;
  readonly hooks?: TenantCapHooks;
}

/** Per GraphQL request. */
export interface GraphCallOptions {
  /** The caller's `Authorization` header exactly as received, or `null` when it held no bearer token. */
  readonly authorization: string | null;
  readonly clientRequestId: string;
  /** Epoch ms after which no attempt starts and no wait is made (GRAPH_DEADLINE_MS from the operation start). */
  readonly deadline: number;
  readonly hooks?: GraphHooks;
}

export interface GraphService {
  /** The configured Graph root: only URLs under it are ever sent the token. */
  readonly base: URL;
  client(options: GraphCallOptions): GraphClient;
  /**
   * The gateway is shutting down: every wait of every operation (quota budget, a tenant cap place, a token's 429
   * hold, a retry's back-off) ends at once, and what waited is not sent. A quota or place wait ends THROTTLED with
   * `retryAfterSeconds`; a back-off ends with the error it would have retried. Calls already sent finish, and calls
   * that need no wait still go: the operations in flight can still complete. For good; idempotent.
   *
   * `endsAt` (epoch ms): by then every operation must have answered, so that the process exits with its answers
   * written. Each operation's deadline is cut to it: what is not sent by then is refused (THROTTLED), and an attempt
   * Graph has not answered ends (UPSTREAM_TIMEOUT: Graph may have applied it).
   */
  drain(endsAt?: number): void;
  close(): Promise<void>;
}
