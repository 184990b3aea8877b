import { malformedError } from '../errors';
import type { GraphError } from '../errors';
import { statusError } from './response';
import type { JsonObject } from './response';
import type { AttemptFailure } from './retry';
import type { ItemOutcome } from '../types';

/**
 * What the items of one `$batch` answer say, each matched by its `id` (Graph answers in any order), for `batch.ts`:
 * a final outcome, or a status to send the item again for. https://learn.microsoft.com/graph/json-batching
 */

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);
/** HTTP statuses are three digits; anything else in an item is a broken answer, not a status. */
const isHttpStatus = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 599;

/** An item's answer: final, or sent again with the rest of the throttled ones. */
export type Answer =
  | { readonly final: ItemOutcome }
  | { readonly again: GraphError; readonly failure: AttemptFailure & { kind: 'status' } };

export function answerStatus(answer: Answer): {
  status: number | null;
  retryAfterSeconds?: number;
} {
  if ('again' in answer)
    return { status: answer.failure.status, retryAfterSeconds: answer.failure.retryAfterSeconds };
  if (answer.final.ok) return { status: answer.final.status };
  return { status: answer.final.error.status };
}

export function answersById(body: JsonObject | undefined): Map<string, Record<string, unknown>> {
  const byId = new Map<string, Record<string, unknown>>();
  const responses = body?.responses;
  if (!Array.isArray(responses)) return byId;
  for (const response of responses as unknown[]) {
    if (typeof response !== 'object' || response === null) continue;
    const id = (response as { id?: unknown }).id;
    if (typeof id === 'string') byId.set(id, response as Record<string, unknown>);
  }
  return byId;
}

export function itemAnswer(
  response: Record<string, unknown> | undefined,
  envelopeHeaders: Readonly<Record<string, string | undefined>>,
  nowMs: number,
): Answer {
  if (!response || !isHttpStatus(response.status))
    return {
      final: {
        ok: false,
        error: malformedError('a batch item had no answer or no valid status', {
          requestId: envelopeHeaders['request-id'] ?? null,
        }),
      },
    };
  const status = response.status;
  const headers = lowerCaseRecord(response.headers);
  const body =
    typeof response.body === 'object' && response.body !== null && !Array.isArray(response.body)
      ? (response.body as JsonObject)
      : undefined;
  // An item's own request id (its headers, then its innerError) is the one Microsoft support can trace.
  const requestId = headers['request-id'] ?? envelopeHeaders['request-id'] ?? null;
  if (status >= 200 && status < 300) return { final: { ok: true, status, body, requestId } };
  const error = statusError(status, headers, body, nowMs, envelopeHeaders);
  if (!RETRYABLE_STATUSES.has(status)) return { final: { ok: false, error } };
  return {
    again: error,
    failure: {
      kind: 'status',
      status,
      ...(error.retryAfterSeconds !== undefined
        ? { retryAfterSeconds: error.retryAfterSeconds }
        : {}),
    },
  };
}

function lowerCaseRecord(value: unknown): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  if (typeof value !== 'object' || value === null) return result;
  for (const [name, header] of Object.entries(value))
    if (typeof header === 'string') result[name.toLowerCase()] = header;
  return result;
}
