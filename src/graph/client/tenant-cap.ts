import { cancelledError, drainedError, tenantCapError } from '../errors';
import { TENANT_CAP_RETRY_AFTER_SECONDS } from '../errors';
import type { CallContext } from './attempt';
import { refusedError, settleBudget, takeBudget } from './pacing';
import { stopError } from './retry-loop';
import { provesToken } from '../quota/identity';
import type { QuotaKind } from '../quota/limits';
import type { AttemptEnd, QuotaGrant } from '../quota/types';
import { TenantLanes } from '../tenant-cap/lanes';
import type { TenantCap } from '../tenant-cap/lanes';
import { DEFAULT_TENANT_CAP, lanesFor, tenantCapLimits } from '../tenant-cap/policy';
import type { Lane, TurnLanes } from '../tenant-cap/policy';
import type { GraphClock, GraphServiceOptions } from '../types';

/**
 * The tenant cap step of every attempt (`tenant-cap/policy.ts` says why and how much): an attempt (a single call, or
 * one `$batch` envelope) takes a place in its lanes, waiting in turn while they are full, within the operation's
 * deadline, cancelled when the caller goes away; it gives the places back once Graph answered (or the attempt
 * failed). Around the quota budget:
 *
 * - A proven token's place in its tenant's lane, and an unproven token's in its claimed tenant's lane for unproven
 *   tokens, come before the budget. Taken after it, a call that waited for a place would keep budget counted while
 *   it sent nothing (and would reach Graph late: the quota then counts it from its end, `QuotaGrant.done`). So a call
 *   waiting for budget holds that one place meanwhile, and only its own tenant's calls queue behind it (or, for an
 *   unproven token, other unproven calls claiming the same tenant).
 * - An unproven token's place in the lane all unproven tokens share comes after the budget. Held while waiting for
 *   the claimed tenant's budget (a window, when that tenant is at its limit), those places let forged tokens claiming
 *   such tenants keep every other tenant's new tokens waiting (docs/hardening.md). Now the calls that hold them have
 *   their budget and are being sent, waiting for nothing, so they turn over at Graph's pace and no wait goes round
 *   in a circle. A call waiting for one holds its budget meanwhile, and gives it back if no place frees up before its
 *   deadline or its caller goes away: nothing was sent (`giveBackTurn`).
 * - A token held by its own 429 waits out the hold before all of it (`waitOutTokenHold`).
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

/** Places taken before the budget, and the lanes still to enter after it (`TurnLanes`). */
class Places implements Place {
  private left = false;

  constructor(
    private readonly lanes: TenantLanes,
    private held: readonly Lane[],
    private after: readonly Lane[],
  ) {}

  get afterBudget(): readonly Lane[] {
    return this.after;
  }

  /** The lanes after the budget were entered: they are held now, and given back with the others. */
  entered(): Places {
    this.held = [...this.held, ...this.after];
    this.after = [];
    return this;
  }

  leave(): void {
    if (this.left) return;
    this.left = true;
    this.lanes.leave(this.held);
  }
}

const isProven = (context: CallContext) =>
  context.proofs.isProven(context.authorization, context.tokenKey);

/**
 * Places in the caller's lanes before its budget: at once when there is room (no promise: every call of a tenant
 * under its cap), else after waiting in turn for them; rejects with `quota` at the deadline or when the gateway
 * drains, `cancelled` on a disconnect.
 */
function takePlace(context: CallContext): Places | Promise<Places> {
  const { tenantCap, authorization, tokenKey } = context;
  const proven = isProven(context);
  const lanes = lanesFor(context.identities(authorization, tokenKey), proven, tenantCap.limits);
  if (tenantCap.lanes.tryEnter(lanes.beforeBudget))
    return new Places(tenantCap.lanes, lanes.beforeBudget, lanes.afterBudget);
  return waitForPlace(context, lanes, proven);
}

async function waitForPlace(
  context: CallContext,
  lanes: TurnLanes,
  proven: boolean,
): Promise<Places> {
  const { tenantCap } = context;
  await enter(context, lanes.beforeBudget, proven);
  // Graph accepted the token while this call waited among unproven ones: it goes on in its tenant's lane.
  if (!proven && isProven(context)) {
    tenantCap.lanes.leave(lanes.beforeBudget);
    return takePlace(context);
  }
  return new Places(tenantCap.lanes, lanes.beforeBudget, lanes.afterBudget);
}

/** Waits in turn for a place in each of `lanes`; throws, holding none, at the deadline, the drain or a disconnect. */
async function enter(context: CallContext, lanes: readonly Lane[], proven: boolean): Promise<void> {
  const { operation } = context;
  const ahead = context.continuation === true;
  const outcome = await context.tenantCap.lanes.enter(lanes, operation.deadline, operation, ahead);
  if (outcome === 'cancelled') throw cancelledError();
  if (outcome === 'drained') throw drainedError(TENANT_CAP_RETRY_AFTER_SECONDS);
  if (outcome === 'deadline') throw tenantCapError(!proven);
}

/**
 * The places after the budget (an unproven token's in the lane all unproven tokens share), added to `first`; none
 * for a proven token. A token Graph accepted meanwhile (while this call waited for budget, or for this place) goes
 * on in its tenant's lane instead. Throws, `first` given back, when no place frees up before the deadline.
 */
function placeAfterBudget(context: CallContext, first: Places): Places | Promise<Places> {
  if (first.afterBudget.length === 0) return first;
  if (isProven(context)) return inTenantLane(context, first);
  if (context.tenantCap.lanes.tryEnter(first.afterBudget)) return first.entered();
  return waitAfterBudget(context, first);
}

async function waitAfterBudget(context: CallContext, first: Places): Promise<Places> {
  try {
    await enter(context, first.afterBudget, false);
  } catch (error) {
    first.leave();
    throw error;
  }
  const place = first.entered();
  return isProven(context) ? inTenantLane(context, place) : place;
}

/**
 * Leaves the lanes of unproven tokens for the tenant's own: once Graph has accepted the token, its calls count there
 * (and free the places unproven calls share). Its budget, taken through the gate for unproven tokens, stays.
 */
async function inTenantLane(context: CallContext, held: Places): Promise<Places> {
  held.leave();
  return placeAfterBudget(context, await takePlace(context));
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
  // Stopped at its deadline (or the drain's end) is not a caller that went away: say which, as the quota step does.
  if (left === null) throw stopError(operation) ?? cancelledError();
  if (left > 0) throw refusedError(context, left);
}

/** An attempt's places and its quota budget (see above for their order). */
export interface Turn {
  readonly place: Place;
  readonly granted: number;
  readonly grant: QuotaGrant | null;
}

/**
 * The places before the budget, the budget, then the places after it. A budget that cannot be had gives the places
 * back; places after the budget that cannot be had give both back: nothing was sent.
 */
export async function takeTurn(context: CallContext, kind: QuotaKind, max: number): Promise<Turn> {
  await waitOutTokenHold(context);
  const taken = takePlace(context);
  const first = taken instanceof Promise ? await taken : taken;
  let budget: Awaited<ReturnType<typeof takeBudget>>;
  try {
    budget = await takeBudget(context, kind, max);
  } catch (error) {
    first.leave();
    throw error;
  }
  try {
    const after = placeAfterBudget(context, first);
    const place = after instanceof Promise ? await after : after;
    return { place, ...budget };
  } catch (error) {
    giveBackTurn({ place: first, ...budget });
    throw error;
  }
}

/**
 * A turn that sent nothing: its budget back (Graph counted nothing), the attempt over for the quota (an unproven
 * token's place in its tenant's gate free again), its places back. For a turn no `settleTurn` ended.
 */
export function giveBackTurn(turn: Turn): void {
  try {
    turn.grant?.release();
    turn.grant?.done('unsent');
  } finally {
    turn.place.leave();
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
