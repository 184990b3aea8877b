/**
 * One `$batch` call of a chunk (`batch.ts` runs the chunks and their retries): the body of its items, the call
 * through the attempt step, and an answer per item, each matched by its id.
 * https://learn.microsoft.com/graph/json-batching
 */
import { sendAttempt } from './attempt';
import type { AttemptOutcome, CallContext } from './attempt';
import { answersById, answerStatus, itemAnswer, RETRYABLE_STATUSES } from './batch-answers';
import type { Answer } from './batch-answers';
import type { AttemptFailure } from './retry';
import { settleTurn } from './tenant-cap';
import type { Turn } from './tenant-cap';
import { BATCH_PATH } from '../user-statuses/paths';
import type { AttemptEnd, QuotaGrant } from '../quota/types';
import type { BatchItem } from '../types';

/** An item of a chunk, with its place among the operation's items. */
export interface Pending {
  readonly index: number;
  readonly item: BatchItem;
}

/** What one `$batch` call tells its chunk: an answer per item, and how to report the attempt if it is retried. */
export interface ChunkStep {
  readonly answers: Answer[];
  readonly settle: { settle?: (retryInMs: number | null) => void };
}

/** Settles the chunk's turn with what Graph answered for each item (or for the envelope). */
type SettleChunk = (answers: Parameters<typeof settleTurn>[3], end?: AttemptEnd) => void;

type ReportAttempt = (
  status: number | null,
  requestId: string | null,
  failure: AttemptFailure['kind'] | 'cancelled' | null,
) => (retryInMs: number | null) => void;

/** The `$batch` body's requests, numbered from 1 in the order given. */
function batchRequests(pending: readonly Pending[]) {
  return pending.map(({ item }, position) => ({
    id: String(position + 1),
    method: item.method,
    url: item.path,
    ...(item.body ? { body: item.body, headers: { 'Content-Type': 'application/json' } } : {}),
  }));
}

/** One `$batch` call for the pending items; an answer per item, in the order given. */
export async function sendChunk(
  context: CallContext,
  pending: readonly Pending[],
  retries: number,
  turn: Turn,
): Promise<ChunkStep> {
  const requests = batchRequests(pending);
  const started = context.clock.now();
  const batch = { method: 'POST' as const, path: BATCH_PATH.path, envelope: true };
  const grants: readonly QuotaGrant[] = turn.grant ? [turn.grant] : [];
  let outcome: AttemptOutcome;
  try {
    context.call.hooks?.batch?.(pending.length);
    outcome = await sendAttempt(context, batch, JSON.stringify({ requests }), retries);
  } catch (error) {
    // A throwing hook or transport: the turn's place comes back (a retry turn has no other way back).
    settleTurn(context, turn.place, grants, [{ status: null }]);
    throw error;
  }
  const event = {
    method: 'POST' as const,
    variant: BATCH_PATH.variant,
    target: BATCH_PATH.target,
    attempt: retries + 1,
    durationMs: context.clock.now() - started,
  };
  const report: ReportAttempt = (status, requestId, failure) => (retryInMs) =>
    context.call.hooks?.attempt?.({ ...event, status, requestId, failure, retryInMs });
  const settleWith: SettleChunk = (answers, end) =>
    settleTurn(context, turn.place, grants, answers, end);
  if (!outcome.ok) return envelopeFailed(outcome, pending.length, settleWith, report);
  const { result } = outcome;
  const envelopeHeaders = {
    'request-id': result.requestId ?? undefined,
    'client-request-id': result.clientRequestId ?? undefined,
  };
  const byId = answersById(result.body);
  const answers = requests.map((request) =>
    itemAnswer(byId.get(request.id), envelopeHeaders, context.clock.now()),
  );
  settleWith(answers.map(answerStatus), outcome.end);
  report(result.status, result.requestId, null)(null);
  return { answers, settle: {} };
}

/**
 * A whole batch answered 424 without its items' answers is throttling as Graph's older batching docs report it (a
 * batch with throttled items): sent again as a 429 would be, after its `Retry-After`. One that holds its items'
 * answers is read item by item (`readResponse`). https://learn.microsoft.com/graph/json-batching
 */
function envelopeFailure(failure: AttemptFailure): AttemptFailure {
  if (failure.kind !== 'status' || failure.status !== 424) return failure;
  return { ...failure, status: 429 };
}

/**
 * The `$batch` call itself failed: a throttled or unavailable envelope holds every item back; any other failure is
 * final for all of them.
 */
function envelopeFailed(
  outcome: Extract<AttemptOutcome, { ok: false }>,
  count: number,
  settleWith: SettleChunk,
  report: ReportAttempt,
): ChunkStep {
  const { error } = outcome;
  const failure = envelopeFailure(outcome.failure);
  // Settled as what it reports, throttling: the tenant and app are held, and the token is not proven by it.
  const status = failure === outcome.failure ? error.status : 429;
  settleWith([{ status, retryAfterSeconds: error.retryAfterSeconds }], outcome.end);
  const retryable = failure.kind === 'status' && RETRYABLE_STATUSES.has(failure.status);
  const answers: Answer[] = Array.from({ length: count }, () =>
    retryable && failure.kind === 'status'
      ? { again: error, failure }
      : { final: { ok: false, error } },
  );
  const settle = report(
    error.status,
    error.requestId,
    error.kind === 'cancelled' ? 'cancelled' : failure.kind,
  );
  if (!retryable) settle(null);
  return { answers, settle: retryable ? { settle } : {} };
}
