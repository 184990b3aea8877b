import { cancelledError, quotaError, tenantCapError } from '../errors';
import type { CallContext } from './attempt';
import { settleBudget, takeBudget } from './pacing';
import { provesToken } from '../quota/identity';
import type { QuotaKind } from '../quota/limits';
import type { AttemptEnd, QuotaGrant } from '../quota/types';
import { TenantLanes } from '../tenant-cap/lanes';
import type { TenantCap } from '../tenant-cap/lanes';
import { DEFAULT_TENANT_CAP, lanesFor, tenantCapLimits } from '../tenant-cap/policy';
import type { Lane } from '../tenant-cap/policy';
import type { GraphClock, GraphServiceOptions } from '../types';

/**
 * The tenant cap step of every attempt (`tenant-cap/policy.ts` says why and how much): before its quota budget, an
 * attempt (a single call, or one `$batch` envelope) takes a place in its lanes, waiting in turn while they are
 * full, within the operation's deadline, cancelled when the caller goes away; it gives the place back once Graph
 * answered (or the attempt failed). The place is taken before the budget, not after: the quota counts a call when
 * it grants its budget, and a call that then waited for a place could reach Graph later than the quota's margin
 * allows (docs/quotas.md). So a call waiting for budget holds its place meanwhile: for a proven token only its own
 * tenant's calls queue behind it; an unproven one holds a place in the lanes all unproven tokens share (its 429
 * hold, though, it waits out before: `waitOutTokenHold`; docs/hardening.md says what is left).
 */

export function createTenantCap(options: GraphServiceOptions, clock: GraphClock): TenantCap {
  const { maxInFlight = DEFAULT_TENANT_CAP, hooks } = options.tenantCap ?? {};
  const lanes = new TenantLanes({
    now: () => clock.now(),
    sleep: (ms, signal) => clock.sleep(ms, signal).then(yes, no),
    ...(hooks ? { hooks } : {}),
  });
  return { lanes, limits: tenantCapLimits(maxInFlight) };
}

const yes = () => true;
const no = () => false;

/** An attempt's places; `leave()` gives them back once, however often it is called. */
export interface Place {
  leave(): void;
}

/**
 * Places in the caller's lanes: at once when there is room (no promise: every call of a tenant under its cap), else
 * after waiting in turn for them; rejects with `quota` at the deadline, `cancelled` on a disconnect.
 */
export function takePlace(context: CallContext): Place | Promise<Place> {
  const { tenantCap, authorization, tokenKey } = context;
  const proven = context.proofs.isProven(authorization, tokenKey);
  const lanes = lanesFor(context.identities(authorization, tokenKey), proven, tenantCap.limits);
  if (tenantCap.lanes.tryEnter(lanes)) return placeIn(tenantCap.lanes, lanes);
  return waitForPlace(context, lanes, proven);
}

async function waitForPlace(
  context: CallContext,
  lanes: readonly Lane[],
  proven: boolean,
): Promise<Place> {
  const { tenantCap, operation, authorization, tokenKey } = context;
  const outcome = await tenantCap.lanes.enter(lanes, operation.deadline, operation);
  if (outcome === 'cancelled') throw cancelledError();
  if (outcome === 'deadline') throw tenantCapError(!proven);
  // Graph accepted the token while this call waited among unproven ones: it goes on in its tenant's lane.
  if (!proven && context.proofs.isProven(authorization, tokenKey)) {
    tenantCap.lanes.leave(lanes);
    return takePlace(context);
  }
  return placeIn(tenantCap.lanes, lanes);
}

function placeIn(lanes: TenantLanes, held: readonly Lane[]): Place {
  let left = false;
  return {
    leave() {
      if (left) return;
      left = true;
      lanes.leave(held);
    },
  };
}

/**
 * A token held by its own 429 (an unproven token's: quota/identity.ts) waits before it takes a place, not in one:
 * holding a place in the lanes every unproven token shares while its hold ran let a few forged tokens, each held
 * 25 s, keep every other tenant's new tokens waiting that long. One lookup when no token is held.
 */
async function waitOutTokenHold(context: CallContext): Promise<void> {
  const pacer = context.service.quota;
  if (!pacer || pacer.tokenHeldUntil(context.tokenKey) === 0) return;
  const { operation } = context;
  const left = await pacer.waitForToken({
    token: context.tokenKey,
    deadline: operation.deadline,
    cancellation: operation,
  });
  if (left === null) throw cancelledError();
  if (left > 0) throw quotaError(Math.ceil(left) / 1000);
}

/** An attempt's place and its quota budget, taken in that order (see above). */
export interface Turn {
  readonly place: Place;
  readonly granted: number;
  readonly grant: QuotaGrant | null;
}

/** `takePlace`, then `takeBudget`; a budget that cannot be had gives the place back. */
export async function takeTurn(context: CallContext, kind: QuotaKind, max: number): Promise<Turn> {
  await waitOutTokenHold(context);
  const taken = takePlace(context);
  const place = taken instanceof Promise ? await taken : taken;
  try {
    const { granted, grant } = await takeBudget(context, kind, max);
    return { place, granted, grant };
  } catch (error) {
    place.leave();
    throw error;
  }
}

type Answers = Parameters<typeof settleBudget>[2];

/**
 * The attempt is over: its budget settled (`settleBudget`, which also records the token's proof), then its place
 * given back. Without quota pacing nothing else records proofs, and the lanes need them: this step does, by the
 * same rule (`provesToken`).
 */
export function settleTurn(
  context: CallContext,
  place: Place,
  grants: readonly QuotaGrant[],
  answers: Answers,
  end?: AttemptEnd,
): void {
  try {
    settleBudget(context, grants, answers, end);
    if (!context.service.quota && answers.some((answer) => provesToken(answer.status)))
      context.proofs.prove(context.authorization, context.tokenKey);
  } finally {
    place.leave();
  }
}
