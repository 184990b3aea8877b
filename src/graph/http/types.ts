/** The HTTP module's contract (`src/graph/http/transport.ts`): what one attempt sends and what comes back. */
import type { HttpFailure } from './failures';

export type { HttpFailure } from './failures';

/**
 * Connections per origin when `maxConnections` is not given: what one gateway process opens to Graph at most. Every
 * tenant's calls share them; `src/graph/tenant-cap/` keeps one tenant to its share.
 */
export const DEFAULT_MAX_CONNECTIONS = 256;

export interface HttpTransportOptions {
  readonly maxResponseBytes: number;
  /** Upper bound of connections per origin (DEFAULT_MAX_CONNECTIONS when not given). */
  readonly maxConnections?: number;
  /** GRAPH_PROXY_URL: an explicit egress proxy (credentials allowed in the URL, never logged). */
  readonly proxyUrl?: string | null;
  /** The environment to read HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and lower-case forms) from when proxyUrl is not set. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** CA certificates (PEM) to trust for Graph's TLS instead of Node's bundle (tests, private CAs); to add to the bundle, use NODE_EXTRA_CA_CERTS. */
  readonly ca?: string | readonly string[];
}

export type GraphHttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  readonly method: GraphHttpMethod;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** This attempt's time budget (min of GRAPH_TIMEOUT_MS and what the deadline leaves). */
  readonly timeoutMs: number;
  /**
   * The attempt's operation, which times and cancels it: one timer per operation (`client/operation.ts`), and the
   * one way an attempt is cancelled (its operation ends). Already over: nothing is sent.
   */
  readonly watcher: AttemptWatcher;
}

/** An attempt in flight as its operation's timer sees it. */
export interface WatchedAttempt {
  /** Epoch ms at which the attempt times out; set by the watcher. */
  expiresAt: number;
  /** The attempt's time is up (its own limit, or the operation's deadline). */
  expire(): void;
  /** The operation is over: its caller went away. */
  cancel(): void;
}

export interface AttemptWatcher {
  /** Watches the attempt until `untrack`; `false` when the operation is already over (nothing is to be sent). */
  track(attempt: WatchedAttempt, timeoutMs: number): boolean;
  untrack(attempt: WatchedAttempt): void;
}

export type HttpOutcome =
  | {
      readonly ok: true;
      readonly status: number;
      /** lower-case names, multi-values joined with ', ' */
      readonly headers: Readonly<Record<string, string | undefined>>;
      readonly body: string;
      /**
       * How long the answer took from its first byte (its status line) to its last, inflated: Graph had the request
       * before it began answering, and the quota counts the call from then (`AttemptEnd`), not from the body's end.
       */
      readonly answeringMs?: number;
    }
  | {
      readonly ok: false;
      readonly failure: HttpFailure;
      /** may the request have reached Graph? (false for refused/DNS/proxy-refused before sending) */
      readonly sent: boolean;
      /** human, safe (no token, no proxy credentials) */
      readonly reason: string;
      /** Trying again cannot help (a proxy that refuses our credentials). */
      readonly permanent?: boolean;
    };

export interface HttpTransport {
  /** Never throws. */
  send(request: HttpRequest): Promise<HttpOutcome>;
  close(): Promise<void>;
}
