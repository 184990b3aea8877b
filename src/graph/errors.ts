/**
 * The Graph layer's own failure vocabulary. It knows HTTP and Graph, not GraphQL: the server layer maps a
 * `GraphError` to the client-facing error once, where resolvers return.
 */

/** How a call to Graph failed. */
export type GraphErrorKind =
  /** Graph answered with a non-success status. */
  | 'status'
  /** No answer within GRAPH_TIMEOUT_MS, or the operation's deadline passed. */
  | 'timeout'
  /** No connection (refused, reset before an answer, unresolvable host, a refusing proxy). */
  | 'connection'
  /** Graph answered, but not with what the API promises (not JSON, wrong shape, too large, too deep). */
  | 'malformed'
  /** The caller went away. */
  | 'cancelled'
  /** The caller sent no bearer token: nothing was sent. */
  | 'unauthenticated'
  /**
   * Nothing was sent: the Intune quota had no budget before the deadline, or the caller's tenant kept every
   * connection it may hold (`tenant-cap/policy.ts`) until then, or the gateway began draining while the call waited
   * for either (`drainedError`). All say: retry later.
   */
  | 'quota'
  /**
   * The write was applied (Graph answered 204 No Content), but the follow-up read of what it wrote failed: `cause`
   * says why. Never a reason to send the write again.
   */
  | 'unread';

export interface GraphErrorOptions {
  readonly status?: number | null;
  /** Graph's `error.code`, as sent (its casing varies). */
  readonly code?: string | null;
  /** Graph's human message, Intune's JSON-in-message already unwrapped. */
  readonly graphMessage?: string | null;
  readonly requestId?: string | null;
  readonly clientRequestId?: string | null;
  readonly date?: string | null;
  /** Intune's support ids, from a wrapped message. */
  readonly activityId?: string | null;
  readonly operationId?: string | null;
  /** When Graph (or the quota) allows the next try, in seconds; finite, never negative. */
  readonly retryAfterSeconds?: number;
  /** The failure behind this one (`unread`: why the read after the write failed). */
  readonly cause?: GraphError;
}

/** The typed upstream error: what failed, and everything Graph said about it that is safe to pass on. */
export class GraphError extends Error {
  readonly kind: GraphErrorKind;
  readonly status: number | null;
  readonly code: string | null;
  readonly graphMessage: string | null;
  readonly requestId: string | null;
  readonly clientRequestId: string | null;
  readonly date: string | null;
  readonly activityId: string | null;
  readonly operationId: string | null;
  readonly retryAfterSeconds: number | undefined;

  constructor(kind: GraphErrorKind, message: string, options: GraphErrorOptions = {}) {
    super(message, options.cause ? { cause: options.cause } : undefined);
    this.name = 'GraphError';
    this.kind = kind;
    this.status = options.status ?? null;
    this.code = options.code ?? null;
    this.graphMessage = options.graphMessage ?? null;
    this.requestId = options.requestId ?? null;
    this.clientRequestId = options.clientRequestId ?? null;
    this.date = options.date ?? null;
    this.activityId = options.activityId ?? null;
    this.operationId = options.operationId ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isGraphError(error: unknown): error is GraphError {
  return error instanceof GraphError;
}

/** An argument the Graph layer cannot turn into a request (a bad id, a forged cursor): nothing was sent. */
export class GraphInputError extends Error {
  constructor(
    message: string,
    readonly argument?: string,
  ) {
    super(message);
    this.name = 'GraphInputError';
  }
}

export function isGraphInputError(error: unknown): error is GraphInputError {
  return error instanceof GraphInputError;
}

export function upstreamTimeoutError(timeoutMs: number): GraphError {
  return new GraphError('timeout', `Microsoft Graph did not answer within ${timeoutMs} ms.`);
}

export function deadlineError(): GraphError {
  return new GraphError(
    'timeout',
    'Microsoft Graph did not answer within the time this operation may take.',
  );
}

/** No connection, or one lost before the answer; `reason` is the transport's safe, human account of it. */
export function connectionError(reason?: string): GraphError {
  if (!reason) return new GraphError('connection', 'Microsoft Graph could not be reached.');
  return new GraphError('connection', `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`);
}

export function malformedError(reason: string, options: GraphErrorOptions = {}): GraphError {
  return new GraphError(
    'malformed',
    `Microsoft Graph sent an answer the gateway cannot use: ${reason}.`,
    options,
  );
}

export function cancelledError(): GraphError {
  return new GraphError('cancelled', 'The request was cancelled.');
}

export function missingTokenError(): GraphError {
  return new GraphError(
    'unauthenticated',
    'This field needs an `Authorization: Bearer <token>` header with a Microsoft Graph access token.',
  );
}

export function quotaError(retryAfterSeconds: number): GraphError {
  return new GraphError(
    'quota',
    "Intune's request quota for this tenant and app has no room before this operation's deadline; retry later.",
    { retryAfterSeconds },
  );
}

/**
 * An update Graph applied with 204 No Content, whose follow-up read (`getUserStatus`, or a batched GET) failed. A
 * caller that went away is told nothing more: its `cancelled` stays.
 * Saying the read's failure alone would tell the caller the update failed: THROTTLED even says nothing was sent,
 * and a caller who sends it again spends a write and a read where budget is already short (found by the quota
 * probe of 2026-12-06: 16 of 20 applied writes answered THROTTLED). The write's own request ids stay.
 */
export function readBackError(
  cause: GraphError,
  write: {
    readonly status: number;
    readonly requestId: string | null;
    readonly clientRequestId?: string | null;
  },
): GraphError {
  if (cause.kind === 'cancelled') return cause;
  return new GraphError(
    'unread',
    `The update was applied (Microsoft Graph answered ${write.status} without the user status), but reading it back failed: ${cause.message} Do not send the update again; read the user status later.`,
    {
      status: write.status,
      requestId: write.requestId,
      clientRequestId: write.clientRequestId ?? null,
      cause,
    },
  );
}

/** What a place freed, from now: places free as calls end, and nothing says when; a second, as for unproven takes. */
export const TENANT_CAP_RETRY_AFTER_SECONDS = 1;

/**
 * The deadline passed while the call waited for a place in its lanes (`tenant-cap/`): nothing was sent. Typed as a
 * quota refusal (THROTTLED to the client, with `retryAfterSeconds`): it is this gateway keeping a tenant to its
 * share, as the quota step keeps it to Intune's, and the client's remedy is the same.
 */
export function tenantCapError(unproven: boolean): GraphError {
  const whose = unproven
    ? 'Calls of bearer tokens Microsoft Graph has not accepted yet'
    : "This tenant's calls";
  return new GraphError(
    'quota',
    `${whose} already hold every connection to Microsoft Graph they may use at once through this gateway, and none freed up before this operation's deadline; retry later.`,
    { retryAfterSeconds: TENANT_CAP_RETRY_AFTER_SECONDS },
  );
}

/**
 * The gateway began draining (SIGTERM) while the call waited for quota budget, a place in its lanes or its token's
 * 429 hold: the wait ended at once and nothing was sent. (A retry's back-off ended so returns the last error.) Typed as a quota refusal (THROTTLED, with
 * `retryAfterSeconds`: when the budget would have freed, or a second): the call is safe to send again, and another
 * replica, or this one's successor, will take it. Waiting on would hold the shutdown until its timeout and close the
 * connection with no answer at all.
 */
/**
 * The drain ended (SHUTDOWN_TIMEOUT_MS, less the time to write the answers) before this call was sent: it was not,
 * and another replica can take it (a second, as the drain says when nothing else does).
 */
export function shutDownError(): GraphError {
  return new GraphError(
    'quota',
    'This gateway is shutting down and did not send the call to Microsoft Graph; retry later.',
    { retryAfterSeconds: 1 },
  );
}

/** The drain ended while Microsoft Graph had the call: whether Graph applied it is unknown. */
export function shutDownInFlightError(): GraphError {
  return new GraphError(
    'timeout',
    'This gateway shut down before Microsoft Graph answered; the call may have been applied.',
  );
}

export function drainedError(retryAfterSeconds: number): GraphError {
  return new GraphError(
    'quota',
    'This gateway is shutting down: the call was waiting for its turn to Microsoft Graph and was not sent; retry later.',
    { retryAfterSeconds },
  );
}
