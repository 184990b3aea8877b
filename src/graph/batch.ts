import type { GatewayError } from '../errors';
import { isGatewayError } from '../errors';
import type { GraphClient } from './client';
import { graphResponseError, retryAfterOf, upstreamMalformedError } from './errors';
import { decideRetry } from './retry';

/**
 * Graph JSON batching: up to 20 requests in one `POST /$batch`, answered in any order and matched by `id`.
 * Items answered 429/503/504 are sent again, as a smaller batch, after the longest `Retry-After`; Microsoft's SDKs
 * leave that to the caller. https://learn.microsoft.com/graph/json-batching
 */
export const MAX_BATCH_SIZE = 20;
/** Batches in flight at once for one operation, so a large read finishes in a few round trips. */
export const BATCH_CONCURRENCY = 5;

export interface BatchItem {
  /** Only idempotent methods are batched, so a throttled item can be sent again. */
  readonly method: 'GET' | 'PATCH';
  /** Relative to the version root, starting with `/`, query string included. */
  readonly url: string;
  readonly body?: object;
}

export type ItemOutcome =
  | {
      readonly ok: true;
      readonly status: number;
      readonly body: Readonly<Record<string, unknown>> | undefined;
      readonly requestId: string | null;
    }
  | { readonly ok: false; readonly error: GatewayError };

/** Runs the items with as few round trips as Graph allows; one outcome per item, in item order. */
export async function executeBatch(
  client: GraphClient,
  items: readonly BatchItem[],
): Promise<ItemOutcome[]> {
  if (items.length === 1) return [await executeAlone(client, items[0]!)];
  const chunks: BatchItem[][] = [];
  for (let start = 0; start < items.length; start += MAX_BATCH_SIZE)
    chunks.push(items.slice(start, start + MAX_BATCH_SIZE));
  const results: ItemOutcome[][] = new Array(chunks.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < chunks.length; index = next++)
      results[index] = await executeChunk(client, chunks[index]!);
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, chunks.length) }, worker));
  return results.flat();
}

/** A lone item needs no batch: a plain request, with the client's own retries. */
async function executeAlone(client: GraphClient, item: BatchItem): Promise<ItemOutcome> {
  try {
    const result = await client.request({ method: item.method, path: item.url, body: item.body });
    return { ok: true, status: result.status, body: result.body, requestId: result.requestId };
  } catch (error) {
    if (isGatewayError(error)) return { ok: false, error };
    throw error;
  }
}

interface Pending {
  readonly index: number;
  readonly item: BatchItem;
}

type Answer =
  | ItemOutcome
  | { readonly throttled: true; readonly error: GatewayError; readonly retryAfterSeconds?: number };

async function executeChunk(
  client: GraphClient,
  chunk: readonly BatchItem[],
): Promise<ItemOutcome[]> {
  const outcomes: ItemOutcome[] = new Array(chunk.length);
  let pending: Pending[] = chunk.map((item, index) => ({ index, item }));
  for (let retries = 0; pending.length > 0; retries += 1) {
    const answers = await sendBatch(client, pending);
    const throttled: Array<Pending & { error: GatewayError; retryAfterSeconds?: number }> = [];
    pending.forEach((entry, position) => {
      const answer = answers[position]!;
      if ('throttled' in answer) throttled.push({ ...entry, ...answer });
      else outcomes[entry.index] = answer;
    });
    if (throttled.length === 0) break;
    const longest = Math.max(...throttled.map((entry) => entry.retryAfterSeconds ?? -1));
    const decision = decideRetry(client.retryPolicy, {
      method: 'PATCH', // every batched item is idempotent
      failure: {
        kind: 'status',
        status: 429,
        ...(longest >= 0 ? { retryAfterSeconds: longest } : {}),
      },
      retriesSoFar: retries,
      remainingMs: client.deadline - Date.now(),
      random: Math.random(),
    });
    if (!decision.retry) {
      for (const entry of throttled) outcomes[entry.index] = { ok: false, error: entry.error };
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
    pending = throttled.map(({ index, item }) => ({ index, item }));
  }
  return outcomes;
}

const THROTTLED_STATUSES: ReadonlySet<number> = new Set([424, 429, 503, 504]);

/** One `$batch` call for the pending items; an answer per item, in the order given. */
async function sendBatch(client: GraphClient, pending: readonly Pending[]): Promise<Answer[]> {
  client.events.batch?.(pending.length);
  const requests = pending.map(({ item }, position) => ({
    id: String(position + 1),
    method: item.method,
    url: item.url,
    ...(item.body ? { body: item.body, headers: { 'Content-Type': 'application/json' } } : {}),
  }));
  let envelope;
  try {
    envelope = await client.request({ method: 'POST', path: '/$batch', body: { requests } });
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    // A throttled or unavailable envelope (424, 429, 503, 504) holds every item back; any other failure is final.
    const status = (error.extensions.graph as { status?: number } | undefined)?.status;
    const retryAfterSeconds = retryAfterOf(error);
    const retryable = status !== undefined && THROTTLED_STATUSES.has(status);
    return pending.map(() =>
      retryable
        ? {
            throttled: true as const,
            error,
            ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
          }
        : { ok: false as const, error },
    );
  }
  const byId = new Map<string, Record<string, unknown>>();
  const responses = envelope.body?.responses;
  if (Array.isArray(responses))
    for (const response of responses)
      if (
        typeof response === 'object' &&
        response !== null &&
        typeof (response as { id?: unknown }).id === 'string'
      )
        byId.set((response as { id: string }).id, response as Record<string, unknown>);
  return requests.map((request) => itemAnswer(byId.get(request.id), envelope.requestId));
}

function itemAnswer(
  response: Record<string, unknown> | undefined,
  envelopeRequestId: string | null,
): Answer {
  if (!response || typeof response.status !== 'number')
    return { ok: false, error: upstreamMalformedError('a batch item had no answer') };
  const headers = lowerCaseRecord(response.headers);
  const body =
    typeof response.body === 'object' && response.body !== null && !Array.isArray(response.body)
      ? (response.body as Record<string, unknown>)
      : undefined;
  const requestId = headers['request-id'] ?? envelopeRequestId;
  if (response.status >= 200 && response.status < 300)
    return { ok: true, status: response.status, body, requestId };
  const error = graphResponseError({
    status: response.status,
    headers: { ...headers, ...(requestId ? { 'request-id': requestId } : {}) },
    body: body ? JSON.stringify(body) : '',
  });
  if (!THROTTLED_STATUSES.has(response.status) || response.status === 424)
    return { ok: false, error };
  const retryAfterSeconds = retryAfterOf(error);
  return {
    throttled: true,
    error,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}

function lowerCaseRecord(value: unknown): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  if (typeof value !== 'object' || value === null) return result;
  for (const [name, header] of Object.entries(value))
    if (typeof header === 'string') result[name.toLowerCase()] = header;
  return result;
}
