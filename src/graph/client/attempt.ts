import {
  GraphError,
  cancelledError,
  connectionError,
  malformedError,
  shutDownInFlightError,
  upstreamTimeoutError,
} from '../errors';
import type { HttpOutcome } from '../http/transport';
import type { OperationScope } from './operation';
import type { TokenProofs } from '../quota/identity';
import type { TenantCap } from '../tenant-cap/lanes';
import type { QuotaIdentity } from '../quota/limits';
import type { AttemptEnd } from '../quota/types';
import { graphUrl } from '../user-statuses/paths';
import { readResponse } from './response';
import { stopError } from './retry-loop';
import type { AttemptFailure } from './retry';
import type {
  GraphCallOptions,
  GraphClock,
  GraphRequest,
  GraphResult,
  GraphServiceOptions,
} from '../types';

/** Everything one attempt needs: the process-wide options and the caller's. */
export interface CallContext {
  readonly service: GraphServiceOptions;
  readonly base: URL;
  readonly clock: GraphClock;
  readonly call: GraphCallOptions;
  /** The caller's bearer header; checked once, where the client is built. */
  readonly authorization: string;
  /** The operation's cancellation, deadline and the one timer of its attempts. */
  readonly operation: OperationScope;
  /**
   * `tokenKey(authorization)`, worked out once per operation for the lookups below (the tenant cap's and the quota
   * step's); a lookup without it hashes the token itself.
   */
  readonly tokenKey: string;
  /** The service's token → tenant/app cache, for the tenant cap and the quota step (`quota/identity.ts`). */
  readonly identities: (authorization: string, key?: string) => QuotaIdentity;
  /** The service's tokens Graph has accepted, for the tenant cap's lanes and the quota step's gate (`quota/identity.ts`). */
  readonly proofs: TokenProofs;
  /** The service's lanes: each tenant's share of the connections to Graph (`client/tenant-cap.ts`). */
  readonly tenantCap: TenantCap;
  /** These calls complete a write Graph applied: their budget goes ahead of waiting takes (`QuotaTake.continuation`). */
  readonly continuation?: boolean;
}

/**
 * Graph's headers for one attempt (single calls and `$batch` alike). https://learn.microsoft.com/graph/best-practices-concept
 */
export function attemptHeaders(
  context: CallContext,
  hasBody: boolean,
  retries: number,
): Record<string, string> {
  const headers: Record<string, string> = {
    Authorization: context.authorization,
    Accept: 'application/json',
    // As Microsoft's Graph SDKs do (their CompressionHandler): lists cross the network compressed. The HTTP
    // module inflates gzip, capped at GRAPH_MAX_RESPONSE_BYTES inflated (src/graph/http/decoding.ts).
    'Accept-Encoding': 'gzip',
    'client-request-id': context.call.clientRequestId,
    'User-Agent': context.service.userAgent,
  };
  if (hasBody) headers['Content-Type'] = 'application/json';
  if (retries > 0) headers['Retry-Attempt'] = String(retries);
  return headers;
}

/** What one attempt's HTTP outcome means: Graph's answer, or a typed error with its retry classification. */
type AttemptResult =
  | { readonly ok: true; readonly result: GraphResult }
  | { readonly ok: false; readonly error: GraphError; readonly failure: AttemptFailure };

export type AttemptOutcome = AttemptResult & {
  /** When its calls may have reached Graph at the latest, for their quota budget (`AttemptEnd`). */
  readonly end: AttemptEnd;
};

/** One HTTP attempt, bounded by GRAPH_TIMEOUT_MS and what the deadline leaves; never throws. */
export async function sendAttempt(
  context: CallContext,
  request: {
    readonly method: GraphRequest['method'];
    readonly path: string;
    /** A `$batch`: its answer is read as one (`readResponse`). */
    readonly envelope?: boolean;
  },
  payload: string | undefined,
  retries: number,
): Promise<AttemptOutcome> {
  const { service, operation, clock } = context;
  const url = graphUrl(context.base, request.path);
  const budget = Math.min(service.timeoutMs, operation.deadline - clock.now());
  const outcome = await service.transport.send({
    method: request.method,
    url,
    headers: attemptHeaders(context, payload !== undefined, retries),
    ...(payload !== undefined ? { body: payload } : {}),
    timeoutMs: Math.max(0, budget),
    watcher: operation,
  });
  const result = interpret(
    outcome,
    budget < service.timeoutMs ? null : service.timeoutMs,
    clock.now(),
    request.envelope === true,
  );
  if (result.ok) return result;
  if (cutByDrain(outcome, operation)) return { ...result, error: shutDownInFlightError() };
  // Not sent: its operation was past its deadline when it would have started (`track` refused it).
  if (!outcome.ok && outcome.failure === 'cancelled' && operation.stopped === 'deadline')
    return { ...result, error: stopError(operation)! };
  return result;
}

/** Timed out because the drain's end stopped its operation (as at its deadline), not because Graph was slow. */
function cutByDrain(outcome: HttpOutcome, operation: CallContext['operation']): boolean {
  if (outcome.ok || outcome.failure !== 'timeout') return false;
  return operation.stopped === 'deadline' && operation.cutByDrain === true;
}

/** Graph answered (so it had the request by its first byte), or not: sent, perhaps, or not at all. */
function endOf(outcome: HttpOutcome): AttemptEnd {
  if (outcome.ok) return { answeredMsAgo: outcome.answeringMs ?? 0 };
  // Too large, broken or in a coding the gateway cannot read: Graph answered, the body did not do.
  if (outcome.failure === 'too-large' || outcome.failure === 'broken-body') return ANSWERED_NOW;
  if (outcome.failure === 'unsupported-encoding') return ANSWERED_NOW;
  return outcome.sent ? 'unanswered' : 'unsent';
}

const ANSWERED_NOW: AttemptEnd = Object.freeze({ answeredMsAgo: 0 });

function interpret(
  outcome: HttpOutcome,
  timeoutMs: number | null,
  nowMs: number,
  envelope: boolean,
): AttemptOutcome {
  return { ...interpretOutcome(outcome, timeoutMs, nowMs, envelope), end: endOf(outcome) };
}

function interpretOutcome(
  outcome: HttpOutcome,
  timeoutMs: number | null,
  nowMs: number,
  envelope: boolean,
): AttemptResult {
  if (!outcome.ok) return interpretFailure(outcome, timeoutMs);
  const read = readResponse(outcome, nowMs, envelope);
  if (read.ok)
    return {
      ok: true,
      result: {
        status: outcome.status,
        body: read.body,
        requestId: outcome.headers['request-id'] ?? null,
        clientRequestId: outcome.headers['client-request-id'] ?? null,
      },
    };
  const { error } = read;
  return { ok: false, error, failure: answerFailure(error) };
}

/** No answer to read: cancelled, timed out, no connection, or one the gateway could not read. */
function interpretFailure(
  outcome: Extract<HttpOutcome, { ok: false }>,
  timeoutMs: number | null,
): AttemptResult {
  if (outcome.failure === 'cancelled')
    return {
      ok: false,
      error: cancelledError(),
      failure: { kind: 'connection', sent: outcome.sent },
    };
  if (outcome.failure === 'timeout')
    return {
      ok: false,
      error:
        timeoutMs === null
          ? new GraphError(
              'timeout',
              'Microsoft Graph did not answer within the time this operation may take.',
            )
          : upstreamTimeoutError(timeoutMs),
      failure: { kind: 'timeout' },
    };
  if (outcome.failure === 'connection')
    return {
      ok: false,
      error: connectionError(outcome.reason),
      failure: {
        kind: 'connection',
        sent: outcome.sent,
        ...(outcome.permanent ? { permanent: true } : {}),
      },
    };
  return { ok: false, error: malformedError(outcome.reason), failure: { kind: 'malformed' } };
}

/** An answer that is an error: by its status (and Retry-After) when it has one, else malformed. */
function answerFailure(error: GraphError): AttemptFailure {
  if (error.kind !== 'status' || error.status === null) return { kind: 'malformed' };
  return {
    kind: 'status',
    status: error.status,
    ...(error.retryAfterSeconds !== undefined
      ? { retryAfterSeconds: error.retryAfterSeconds }
      : {}),
  };
}
