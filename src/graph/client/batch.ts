import type { GraphError } from '../errors';
import type { CallContext } from './attempt';
import { requestWithRetries } from './single';
import type { AttemptFailure } from './retry';
import { withRetries } from './retry-loop';
import type { LoopStep } from './retry-loop';
import { kindOf } from './pacing';
import { giveBackTurn, takeTurn } from './tenant-cap';
import type { Turn } from './tenant-cap';
import { sendChunk } from './batch-chunk';
import type { Pending } from './batch-chunk';
import type { BatchItem, ItemOutcome } from '../types';

/**
 * Graph JSON batching: up to 20 requests in one `POST /$batch`, answered in any order and matched by `id`.
 * Items answered 429/503/504 are sent again, as a smaller batch, through the same retry loop as single calls;
 * Microsoft's SDKs leave that to the caller. https://learn.microsoft.com/graph/json-batching
 */
export const MAX_BATCH_SIZE = 20;
/** Batches in flight at once for one operation, so a large read finishes in a few round trips. */
export const BATCH_CONCURRENCY = 5;

/** Write batches in flight at once when quotas pace them: budget, not parallelism, sets the pace. */
export const PACED_WRITE_CONCURRENCY = 2;

interface Queued {
  readonly index: number;
  readonly item: BatchItem;
}

export async function executeBatch(
  context: CallContext,
  items: readonly BatchItem[],
): Promise<ItemOutcome[]> {
  if (items.length === 0) return [];
  if (items.length === 1) return [await executeAlone(context, items[0]!)];
  const kind = items.some((item) => item.method === 'PATCH') ? 'write' : 'read';
  const outcomes = new Array<ItemOutcome>(items.length);
  const queue: Queued[] = items.map((item, index) => ({ index, item }));
  // Each chunk is as large as the budget allows (at most 20): the items that fit go, the rest wait for budget
  // or, when none frees up before the deadline, get the quota's THROTTLED each. A worker sets its items aside
  // before it waits, and puts back what the budget did not cover: a worker that asked for items another one then
  // sent would wait a whole window for nothing, and hold the operation's answer back that long.
  const worker = async () => {
    while (queue.length > 0) {
      const reserved = queue.splice(0, MAX_BATCH_SIZE);
      let taken: Turn;
      try {
        taken = await takeTurn(context, kind, reserved.length);
      } catch (error) {
        for (const { index } of [...reserved, ...queue.splice(0)])
          outcomes[index] = { ok: false, error: error as GraphError };
        return;
      }
      const chunk = reserved.slice(0, taken.granted);
      queue.unshift(...reserved.slice(chunk.length));
      const results = await executeChunk(
        context,
        chunk.map(({ item }) => item),
        taken,
      );
      chunk.forEach(({ index }, position) => (outcomes[index] = results[position]!));
    }
  };
  const concurrency =
    kind === 'write' && context.service.quota ? PACED_WRITE_CONCURRENCY : BATCH_CONCURRENCY;
  const chunks = Math.ceil(items.length / MAX_BATCH_SIZE);
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks) }, worker));
  return outcomes;
}

/** A lone item needs no batch: a plain request through the same loop. */
async function executeAlone(context: CallContext, item: BatchItem): Promise<ItemOutcome> {
  try {
    const result = await requestWithRetries(context, item);
    return { ok: true, status: result.status, body: result.body, requestId: result.requestId };
  } catch (error) {
    return { ok: false, error: error as GraphError };
  }
}

/**
 * One chunk through the retry loop. Each attempt sends the items still pending; finished items are kept,
 * throttled ones make the attempt fail with the longest `Retry-After` among them, so the loop waits as Graph asked
 * (or gives up, and they keep their own errors). The first attempt's place and budget were taken by the caller; a
 * re-send takes a place and what the budget allows now and sends that, then takes again for the rest: after a 429
 * the pacer lets calls out one at a time (`quota/throttle.ts`), and waiting to send them all in one `$batch` would
 * send them all at once. A chunk that never sends its first attempt (its operation stopped, or its deadline passed,
 * before the loop's first check) gives that turn back: no answer will settle it, and Graph counted nothing.
 */
async function executeChunk(
  context: CallContext,
  chunk: readonly BatchItem[],
  first: Turn,
): Promise<ItemOutcome[]> {
  const state: ChunkState = {
    outcomes: new Array<ItemOutcome>(chunk.length),
    pending: chunk.map((item, index) => ({ index, item })),
    firstSent: false,
  };
  // Every batched item is GET or PATCH, both idempotent: the chunk retries as its items would.
  const method = chunk.some((item) => item.method === 'PATCH') ? 'PATCH' : 'GET';
  const { service, clock, operation } = context;
  try {
    await withRetries(
      {
        method,
        policy: service.retry,
        deadline: operation.deadline,
        clock,
        cancellation: operation,
      },
      (retries) => attemptChunk(context, state, kindOf(method), first, retries),
    );
  } catch (error) {
    // Cancelled, past the deadline or out of budget: every pending item says so. Out of retries: each keeps its
    // own last error.
    const stop = error as GraphError;
    const overrides = stop.kind === 'cancelled' || stop.kind === 'timeout' || stop.kind === 'quota';
    for (const { index } of state.pending)
      if (overrides || !state.outcomes[index]) state.outcomes[index] = { ok: false, error: stop };
  } finally {
    // A turn handed to `sendChunk` is settled there, whatever happens; one never handed over is given back here.
    if (!state.firstSent) giveBackTurn(first);
  }
  return state.outcomes;
}

/** What a chunk's attempts share: each item's outcome, the items not finished, and whether its first turn went. */
interface ChunkState {
  readonly outcomes: ItemOutcome[];
  /** What is left if the next take fails (out of budget, cancelled): the throttled and the unsent. */
  pending: Pending[];
  firstSent: boolean;
}

/**
 * One attempt: the pending items, in one `$batch` on the first (its turn taken by the caller), in as many parts as
 * the budget grants on a re-send. Throttled items fail the attempt with the longest wait Graph asked for.
 */
async function attemptChunk(
  context: CallContext,
  state: ChunkState,
  kind: ReturnType<typeof kindOf>,
  first: Turn,
  retries: number,
): Promise<LoopStep<void>> {
  const again: Again[] = [];
  const settles: Array<(retryInMs: number | null) => void> = [];
  let unsent = state.pending;
  while (unsent.length > 0) {
    let part = unsent;
    let turn = first;
    if (retries === 0) state.firstSent = true;
    else {
      turn = await takeTurn(context, kind, unsent.length).catch((error: unknown) => {
        // No place or budget for the rest: the parts already sent report their attempts, not retried.
        for (const settle of settles) settle(null);
        throw error;
      });
      part = unsent.slice(0, turn.granted);
    }
    unsent = unsent.slice(part.length);
    const step = await sendChunk(context, part, retries, turn);
    part.forEach((entry, position) => {
      const answer = step.answers[position]!;
      state.outcomes[entry.index] =
        'final' in answer ? answer.final : { ok: false, error: answer.again };
      if (!('final' in answer))
        again.push({ ...entry, error: answer.again, failure: answer.failure });
    });
    if (step.settle.settle) settles.push(step.settle.settle);
    state.pending = [...again, ...unsent];
  }
  if (again.length === 0) return { done: true, value: undefined };
  const settle = (ms: number | null) => settles.forEach((each) => each(ms));
  return {
    done: false,
    error: again[0]!.error,
    failure: longestWait(again),
    ...(settles.length > 0 ? { settle } : {}),
  };
}

type Again = Pending & { error: GraphError; failure: AttemptFailure };

function longestWait(entries: ReadonlyArray<{ failure: AttemptFailure }>): AttemptFailure {
  let longest: AttemptFailure = entries[0]!.failure;
  for (const { failure } of entries) {
    if (failure.kind !== 'status' || longest.kind !== 'status') continue;
    if ((failure.retryAfterSeconds ?? -1) > (longest.retryAfterSeconds ?? -1)) longest = failure;
  }
  return longest;
}
