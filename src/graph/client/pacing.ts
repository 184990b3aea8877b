import { cancelledError, quotaError } from '../errors';
import type { CallContext } from './attempt';
import type { QuotaIdentity, QuotaKind } from '../quota/limits';
import type { QuotaGrant } from '../quota/types';

/**
 * The quota step of every attempt: budget is taken before a call leaves (a `$batch` item counts one, the
 * envelope nothing), given back when Graph answers 401/403 (a forged `tid` must not spend another tenant's budget),
 * and a 429 holds the caller's tenant and app for every caller and replica until its `Retry-After`.
 * https://learn.microsoft.com/graph/throttling-limits#intune-service-limits
 */

/** The caller's tenant and app, read from the token (never verified, never trusted beyond this). */
function identityOf(context: CallContext): QuotaIdentity {
  return context.identities(context.authorization);
}

export const kindOf = (method: string): QuotaKind => (method === 'GET' ? 'read' : 'write');

/**
 * Up to `max` calls of budget, waiting (within the deadline, cancelled by a disconnect) for at least one. Without
 * quotas, `max` at once. Throws `quota` when no budget frees up before the deadline.
 */
export async function takeBudget(
  context: CallContext,
  kind: QuotaKind,
  max: number,
): Promise<{ granted: number; grant: QuotaGrant | null }> {
  const pacer = context.service.quota;
  if (!pacer) return { granted: max, grant: null };
  const outcome = await pacer.take({
    identity: identityOf(context),
    kind,
    max,
    deadline: context.operation.deadline,
    cancellation: context.operation,
  });
  if ('cancelled' in outcome) throw cancelledError();
  if ('refused' in outcome) throw quotaError(Math.ceil(outcome.retryAfterMs) / 1000);
  return { granted: outcome.granted, grant: outcome };
}

/** Exactly `count` calls of budget (several takes if need be); on refusal what was taken goes back. */
export async function takeExactly(
  context: CallContext,
  kind: QuotaKind,
  count: number,
): Promise<QuotaGrant[]> {
  const grants: QuotaGrant[] = [];
  let missing = count;
  try {
    while (missing > 0) {
      const { granted, grant } = await takeBudget(context, kind, missing);
      if (grant) grants.push(grant);
      missing -= granted;
    }
  } catch (error) {
    for (const grant of grants) grant.release();
    throw error;
  }
  return grants;
}

/**
 * What Graph's answers mean for the budget: 401/403 answers give theirs back; a 429 blocks the tenant and app
 * until its `Retry-After` (or `fallbackMs` when Intune sent none).
 */
export function settleBudget(
  context: CallContext,
  grants: readonly QuotaGrant[],
  answers: ReadonlyArray<{ status: number | null; retryAfterSeconds?: number | undefined }>,
): void {
  const pacer = context.service.quota;
  if (!pacer) return;
  // One pass, no arrays: nearly every answer is a 2xx, which settles nothing.
  let unauthorised = 0;
  let waitMs = -1;
  for (const answer of answers) {
    if (answer.status === 401 || answer.status === 403) unauthorised += 1;
    else if (answer.status === 429)
      waitMs = Math.max(
        waitMs,
        answer.retryAfterSeconds !== undefined
          ? answer.retryAfterSeconds * 1000
          : context.service.retry.baseDelayMs,
      );
  }
  for (const grant of grants) {
    if (unauthorised <= 0) break;
    const count = Math.min(unauthorised, grant.granted);
    grant.release(count);
    unauthorised -= count;
  }
  if (waitMs < 0) return;
  pacer.block(identityOf(context), context.clock.now() + waitMs);
}
