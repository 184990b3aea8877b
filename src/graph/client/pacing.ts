import { cancelledError, drainedError, quotaError } from '../errors';
import type { GraphError } from '../errors';
import type { CallContext } from './attempt';
import { stopError } from './retry-loop';
import { answeredBeforeTheToken, provesToken } from '../quota/identity';
import type { QuotaIdentity, QuotaKind } from '../quota/limits';
import type { AttemptEnd, QuotaGrant } from '../quota/types';

/**
 * The quota step of every attempt: budget is taken before a call leaves (a `$batch` item counts one, the
 * envelope nothing), given back when Graph answers 401/403 (a forged `tid` must not spend another tenant's budget),
 * and a 429 holds the caller's tenant and app for every caller and replica until its `Retry-After` (a whole window
 * without one) and lowers their limit for a while. A token Graph has not accepted yet takes its budget through its
 * tenant's gate for unproven tokens (`quota/unproven.ts`); its first answer that only a genuine token gets proves it.
 * Until then its claims are only claims: a 429 answered to it holds that token alone and gives its budget back
 * (`throttleEffect` in `quota/identity.ts`).
 * https://learn.microsoft.com/graph/throttling-limits#intune-service-limits
 */

/** The caller's tenant and app, read from the token (never verified, never trusted beyond this). */
function identityOf(context: CallContext): QuotaIdentity {
  return context.identities(context.authorization, context.tokenKey);
}

export const kindOf = (method: string): QuotaKind => (method === 'GET' ? 'read' : 'write');

/**
 * Up to `max` calls of budget, waiting (within the deadline, cancelled by a disconnect) for at least one. Without
 * quotas, `max` at once. Throws `quota` when no budget frees up before the deadline, or when the gateway drains and
 * there is none now.
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
    proven: context.proofs.isProven(context.authorization, context.tokenKey),
    token: context.tokenKey,
    continuation: context.continuation === true,
  });
  if ('cancelled' in outcome) throw stopError(context.operation) ?? cancelledError();
  if ('refused' in outcome) throw refusedError(context, outcome.retryAfterMs);
  return { granted: outcome.granted, grant: outcome };
}

/**
 * A quota wait refused (budget frees `retryAfterMs` from now): past the deadline, or ended by the drain, which says
 * so (the wait was cut short, not hopeless).
 */
export function refusedError(context: CallContext, retryAfterMs: number): GraphError {
  const seconds = Math.ceil(retryAfterMs) / 1000;
  return context.operation.draining ? drainedError(seconds) : quotaError(seconds);
}

/**
 * What Graph's answers to one attempt mean for its budget: 401/403 answers give theirs back; a 429 holds the
 * tenant and app for its `Retry-After` (for the longest, and for a whole window if one had none) and lowers their
 * limit (`quota/throttle.ts`); an answer only a genuine token gets proves the token (`provesToken`). A 429 to a
 * token still unproven (no earlier answer and none of these proved it) names no tenant: it holds the token only,
 * and its budget goes back as a 401's does, so that forged 429s spend nothing of the tenant the token claims. Then
 * the attempt is over for the gate and, by `end`, for the windows (`done`: calls that reached Graph late count from
 * then); an attempt never sent gives all its budget back.
 */
export function settleBudget(
  context: CallContext,
  grants: readonly QuotaGrant[],
  answers: ReadonlyArray<{ status: number | null; retryAfterSeconds?: number | undefined }>,
  end?: AttemptEnd,
): void {
  if (!context.service.quota) return;
  // One pass, no arrays: nearly every answer is a 2xx, which settles nothing but the proof.
  let giveBack = 0;
  let proves = false;
  let throttled = 0;
  let beforeTheToken = 0;
  let withoutRetryAfter = false;
  let longestMs = -1;
  for (const answer of answers) {
    if (answer.status === 401 || answer.status === 403) giveBack += 1;
    else if (answer.status === 429) {
      throttled += 1;
      if (answer.retryAfterSeconds === undefined) withoutRetryAfter = true;
      else longestMs = Math.max(longestMs, answer.retryAfterSeconds * 1000);
    } else if (answeredBeforeTheToken(answer.status)) beforeTheToken += 1;
    if (provesToken(answer.status)) proves = true;
  }
  if (proves) context.proofs.prove(context.authorization, context.tokenKey);
  // Looked up only after a 429 or a front end's refusal: the hot path (2xx) stays one pass. Neither, answered to a
  // token Graph has not accepted, says Intune counted the call: its budget goes back, so forged tokens that draw
  // them (a 16-KB token is a 400 at http.sys) spend nothing of the tenant they claim.
  const trusted =
    (throttled === 0 && beforeTheToken === 0) ||
    proves ||
    context.proofs.isProven(context.authorization, context.tokenKey);
  if (!trusted) giveBack += throttled + beforeTheToken;
  // Never sent (no connection was made, a proxy refused it): Graph counted nothing, whatever the attempt was. A
  // Graph outage seen as refused connections then spends no tenant's budget on its retries.
  if (end === 'unsent') giveBack = Number.POSITIVE_INFINITY;
  for (const grant of grants) {
    if (giveBack <= 0) break;
    const count = Math.min(giveBack, grant.granted);
    grant.release(count);
    giveBack -= count;
  }
  const first = grants[0];
  if (throttled > 0 && first) {
    if (withoutRetryAfter) first.throttled(undefined, trusted);
    if (longestMs >= 0) first.throttled(longestMs, trusted);
  }
  for (const grant of grants) grant.done(end);
}
