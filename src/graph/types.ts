import type { AttemptFailure, RetryPolicyOptions } from './retry';
import type { GraphMethod } from './retry';
import type { GraphTransport } from './client';

/** What the client reports after each attempt, for logs and metrics; never the token or the body. */
export interface GraphAttemptEvent {
  readonly method: GraphMethod;
  readonly path: string;
  /** The path's variant and target (item, collection, batch), for metric labels: never an id. */
  readonly variant: string;
  readonly target: string;
  readonly attempt: number;
  readonly status: number | null;
  readonly durationMs: number;
  readonly requestId: string | null;
  readonly failure: AttemptFailure['kind'] | null;
  readonly retryInMs: number | null;
}

export interface GraphClientOptions {
  readonly transport: GraphTransport;
  /** The caller's `Authorization` header exactly as received, or `null` when it held no bearer token. */
  readonly authorization: string | null;
  readonly clientRequestId: string;
  /** Epoch ms after which no attempt starts and no wait is made (GRAPH_DEADLINE_MS from the operation start). */
  readonly deadline: number;
  /** Aborts upstream calls and waits, e.g. when the GraphQL client goes away. */
  readonly signal?: AbortSignal;
  readonly events?: GraphClientEvents;
}

/** Hooks for logs, metrics and the request summary; they never see the token or a body. */
export interface GraphClientEvents {
  attempt?(event: GraphAttemptEvent): void;
  batch?(size: number): void;
}

export interface GraphRequest {
  readonly method: GraphMethod;
  /** Path relative to the base URL, starting with `/`, ids already validated and encoded. */
  readonly path: string;
  readonly body?: unknown;
}

export interface GraphResult {
  readonly status: number;
  /** The JSON object Graph answered, or `undefined` for 204 and empty bodies. */
  readonly body: Readonly<Record<string, unknown>> | undefined;
  readonly requestId: string | null;
  readonly clientRequestId: string | null;
}

/** Per request: sends with the caller's token and `client-request-id`, retries, and maps every failure. */
export interface GraphClient {
  readonly clientRequestId: string;
  /** Epoch ms after which no attempt starts and no wait is made. */
  readonly deadline: number;
  readonly retryPolicy: RetryPolicyOptions;
  /** The configured Graph root: only URLs under it are ever sent the token. */
  readonly base: URL;
  /** Whether the caller sent a bearer token; without one, every request fails with UNAUTHENTICATED. */
  readonly hasToken: boolean;
  readonly events: GraphClientEvents;
  request(request: GraphRequest): Promise<GraphResult>;
}
