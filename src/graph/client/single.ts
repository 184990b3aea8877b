import { sendAttempt } from './attempt';
import type { CallContext } from './attempt';
import { kindOf } from './pacing';
import { settleTurn, takeTurn } from './tenant-cap';
import { withRetries } from './retry-loop';
import type { LoopStep } from './retry-loop';
import type { QuotaGrant } from '../quota/types';
import type { GraphAttemptEvent, GraphRequest, GraphResult, GraphSpan } from '../types';

/** One Graph call, sent again as the retry policy says, inside a span when tracing is on. */
export async function requestWithRetries(
  context: CallContext,
  request: GraphRequest,
): Promise<GraphResult> {
  const { service, clock } = context;
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  const attributes = {
    'http.request.method': request.method,
    'graph.variant': request.variant,
    'graph.target': request.target,
  };
  const run = async (span: GraphSpan | undefined) => {
    const result = await withRetries(
      {
        method: request.method,
        policy: service.retry,
        deadline: context.operation.deadline,
        clock,
        cancellation: context.operation,
      },
      (retries) => {
        span?.setAttributes({ 'graph.attempts': retries + 1 });
        return sendOnce(context, request, payload, retries);
      },
    );
    span?.setAttributes({
      'http.response.status_code': result.status,
      'graph.request_id': result.requestId ?? '',
    });
    return result;
  };
  if (!service.tracer) return run(undefined);
  return service.tracer(`graph ${request.method} ${request.variant}`, attributes, run);
}

async function sendOnce(
  context: CallContext,
  request: GraphRequest,
  payload: string | undefined,
  retries: number,
): Promise<LoopStep<GraphResult>> {
  const { place, grant } = await takeTurn(context, kindOf(request.method), 1);
  const grants = grant ? [grant] : NO_GRANTS;
  const started = context.clock.now();
  const outcome = await sendAttempt(context, request, payload, retries).catch((error: unknown) => {
    // Never with the real transport (it turns every failure into an outcome): the place must come back anyway.
    settleTurn(context, place, grants, [{ status: null }]);
    throw error;
  });
  const answered = outcome.ok ? outcome.result.status : outcome.error.status;
  const answers = [
    {
      status: answered,
      retryAfterSeconds: outcome.ok ? undefined : outcome.error.retryAfterSeconds,
    },
  ];
  settleTurn(context, place, grants, answers, outcome.end);
  const hooks = context.call.hooks;
  const durationMs = context.clock.now() - started;
  if (outcome.ok) {
    const { result } = outcome;
    hooks?.attempt?.(attemptEvent(request, retries, durationMs, result.status, result.requestId));
    return { done: true, value: result };
  }
  const { error, failure } = outcome;
  return {
    done: false,
    error,
    failure,
    settle: (retryInMs) =>
      hooks?.attempt?.({
        ...attemptEvent(request, retries, durationMs, error.status, error.requestId),
        failure: error.kind === 'cancelled' ? 'cancelled' : failure.kind,
        retryInMs,
      }),
  };
}

const NO_GRANTS: readonly QuotaGrant[] = [];

/** What the hooks learn of one attempt (a success unless the caller says otherwise). */
function attemptEvent(
  request: GraphRequest,
  retries: number,
  durationMs: number,
  status: number | null,
  requestId: string | null,
): GraphAttemptEvent {
  return {
    method: request.method,
    variant: request.variant,
    target: request.target,
    attempt: retries + 1,
    durationMs,
    status,
    requestId,
    failure: null,
    retryInMs: null,
  };
}
