import { checkQuotaLimits } from './limits';
import type { QuotaIdentity, QuotaLimits } from './limits';
import { createMemoryQuotaStore } from './stores/memory-store';
import {
  createResilientStore,
  DEFAULT_PROBE_INTERVAL_MS,
  DEFAULT_STORE_TIMEOUT_MS,
} from './stores/resilient-store';
import type { ResilientResult, ResilientStore } from './stores/resilient-store';
import { createGrant, InFlightGrants, needsInFlight, unlimitedGrant } from './grant';
import type { GrantContext } from './grant';
import { quotaKeys } from './store';
import { ThrottleBook } from './throttle';
import { DEFAULT_MAX_HOLD_MS } from './throttle-policy';
import { abortableSleep, isQuotaGrant } from './types';
import type { QuotaHooks, QuotaOutcome, QuotaPacer, QuotaPacerOptions, QuotaTake } from './types';
import { TokenHolds } from './identity';
import { UNPROVEN_RETRY_AFTER_MS, UnprovenGate, unprovenSlots } from './unproven';
import type { GatePass } from './unproven';
import { WaitQueues } from './wait-queue';
import { NOT_TRIED } from './wait-rule';
import type { Short } from './wait-rule';
import { asError, CANCELLED, DRAINED_RETRY_AFTER_MS, isCancelled, released, shortOf } from './take';
import type { Pending, Waiter } from './take';

/**
 * Paces Graph calls to Intune's published limits (see `limits.ts`): every attempt, single call or `$batch`
 * chunk, takes its budget here before it leaves. Never sending over the limit matters more than speed: Graph
 * says calls made while throttled extend the throttling.
 * https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling
 *
 * A take that does not fit waits its turn in its tenant's queue (`wait-queue.ts`): first come, first served
 * within this replica.
 */
class Pacer implements QuotaPacer {
  private readonly now: () => number;
  private readonly hooks: QuotaHooks;
  private readonly store: ResilientStore;
  private readonly queues: WaitQueues<Waiter>;
  private readonly book: ThrottleBook;
  private readonly gate: UnprovenGate;
  private readonly tokens: TokenHolds;
  private readonly maxHoldMs: number;
  /** What each grant acts on; set when quotas are on (only then is anything granted by the store). */
  private readonly grants: GrantContext | undefined;
  private arrivals = 0;

  constructor(
    private readonly limits: QuotaLimits | null,
    options: QuotaPacerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.hooks = options.hooks ?? {};
    this.maxHoldMs = options.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
    const sleep = options.sleep ?? abortableSleep;
    this.store = createResilientStore({
      shared: options.store,
      local: createMemoryQuotaStore({ now: this.now }),
      hooks: this.hooks,
      now: this.now,
      timeoutMs: options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS,
      probeIntervalMs: options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS,
      replicas: options.replicas ?? 1,
    });
    this.queues = new WaitQueues<Waiter>({
      now: this.now,
      sleep,
      attempt: (waiter) => this.attempt(waiter),
      refuse: (waiter, until) =>
        this.finish(waiter, this.refused(waiter.request, until - this.now(), waiter.started)),
      fail: (waiter, error) => this.finish(waiter, asError(error)),
    });
    this.book = new ThrottleBook({
      now: this.now,
      random: options.random ?? Math.random,
      hooks: this.hooks,
    });
    this.gate = new UnprovenGate({ now: this.now, sleep });
    this.tokens = new TokenHolds({ now: this.now, sleep });
    if (limits) this.grants = this.grantContext(limits, options);
  }

  take = (request: QuotaTake): Promise<QuotaOutcome> => {
    if (!this.limits) return Promise.resolve(unlimitedGrant(request, this.now()));
    if (this.tokens.heldUntil(request.token) > 0) return this.afterTokenHold(request);
    return this.takeFrom(request, this.now());
  };

  tokenHeldUntil = (token: string | undefined): number => this.tokens.heldUntil(token);

  waitForToken = (take: Pick<QuotaTake, 'token' | 'deadline' | 'cancellation'>) =>
    this.tokens.wait(take);

  block = (identity: QuotaIdentity, untilEpochMs: number): void => {
    if (this.limits) this.hold(identity, untilEpochMs - this.now());
  };

  close = (): Promise<void> => {
    this.gate.close();
    this.grants?.inFlight?.close();
    for (const waiter of this.queues.close()) this.finish(waiter, CANCELLED);
    return this.store.close();
  };

  private grantContext(limits: QuotaLimits, options: QuotaPacerOptions): GrantContext {
    const { now, hooks, book, tokens, maxHoldMs } = this;
    const { marginMs = 0, attemptTimeoutMs } = options;
    const hold = (identity: QuotaIdentity, ms: number) => this.hold(identity, ms);
    const wake = (tenant: string) => this.queues.wake(tenant);
    const inFlight = needsInFlight(attemptTimeoutMs)
      ? new InFlightGrants({ now, hooks, limits, marginMs })
      : undefined;
    const settings = { maxHoldMs, marginMs, attemptTimeoutMs };
    return { now, hooks, limits, book, tokens, ...settings, hold, wake, inFlight };
  }

  /** Holds an identity here and in the store, at most `maxHoldMs`. */
  private hold(identity: QuotaIdentity, ms: number): void {
    const durationMs = Math.min(ms, this.maxHoldMs);
    if (durationMs <= 0) return;
    this.book.hold(identity, this.now() + durationMs, this.limits!.windowMs);
    this.store.block(identity, durationMs);
  }

  private takeFrom(request: QuotaTake, started: number): Promise<QuotaOutcome> {
    if (request.proven === false) return this.takeUnproven(request, started);
    return this.takeWithin(request, started);
  }

  /** The token is held (an unproven 429): its takes wait before the gate, taking no place there meanwhile. */
  private async afterTokenHold(request: QuotaTake): Promise<QuotaOutcome> {
    const started = this.now();
    const left = await this.tokens.wait(request);
    if (left === null) return CANCELLED;
    return left > 0 ? this.refused(request, left, started) : this.takeFrom(request, started);
  }

  /** Through the tenant's gate first; what the grant does not use goes back at once, the rest when it is done. */
  private async takeUnproven(request: QuotaTake, started: number): Promise<QuotaOutcome> {
    const { identity, kind, deadline, cancellation } = request;
    const gate = `${identity.tenant}\n${kind}`;
    const slots = unprovenSlots(this.limits!, kind);
    const max = Math.max(1, Math.floor(request.max));
    const entered = await this.gate.enter(gate, slots, max, deadline, cancellation);
    if ('cancelled' in entered) return CANCELLED;
    if ('refused' in entered) return this.refused(request, UNPROVEN_RETRY_AFTER_MS, started);
    const outcome = await this.takeWithin({ ...request, max: entered.units }, started, entered);
    entered.free(isQuotaGrant(outcome) ? entered.units - outcome.granted : undefined);
    return outcome;
  }

  private async takeWithin(
    request: QuotaTake,
    started: number,
    pass?: GatePass,
  ): Promise<QuotaOutcome> {
    // A continuation goes before every waiting take (0: ahead of every arrival), continuations among them in turn.
    const seq = request.continuation ? 0 : (this.arrivals += 1);
    if (isCancelled(request)) return CANCELLED;
    const keys = quotaKeys(request.identity);
    const max = Math.max(1, Math.floor(request.max));
    const pending: Pending = { request, max, keys, seq, started, pass, asked: 0 };
    // Earlier takes wait for a key this one needs: it queues behind them without trying.
    if (this.queues.mustQueue(request.identity, request.kind))
      return this.enqueue(pending, NOT_TRIED);
    const result = await this.tryStore(pending);
    if (result.granted > 0) {
      if (!isCancelled(request)) return createGrant(this.grants!, pending, result);
      void result.release();
      return CANCELLED;
    }
    if (this.now() + result.waitMs >= request.deadline)
      return this.refused(request, result.waitMs, started);
    if (isCancelled(request)) return CANCELLED;
    return this.enqueue(pending, shortOf(keys, request, result, this.now()));
  }

  /**
   * One try: the release after a hold may make it wait (as if blocked) or take only part of a step; the store then
   * decides with the identity's limits in force. A block found there that this replica did not set is another
   * replica's 429 (`ThrottleBook.blockSeen`).
   */
  private async tryStore(pending: Pending): Promise<ResilientResult> {
    const configured = this.limits!;
    const { identity, kind } = pending.request;
    const limits = this.book.limitsFor(identity, kind, configured);
    const release = this.book.release(identity, kind, limits);
    if (release.waitUntil > 0) return released(release.waitUntil - this.now(), this.now());
    const max = Math.min(pending.max, release.max);
    pending.asked = this.now();
    const result = await this.store.take({ identity, kind, max, limits });
    this.book.unused(identity, release.max - result.granted);
    if (result.granted === 0 && result.shortOf.includes('block'))
      this.book.blockSeen(identity, kind, configured, this.now() + result.waitMs);
    return result;
  }

  private enqueue(pending: Pending, short: Short): Promise<QuotaOutcome> {
    const { request, keys } = pending;
    if (request.cancellation?.draining) return Promise.resolve(this.drained(pending, short));
    return new Promise<QuotaOutcome>((resolve, reject) => {
      const waiter: Waiter = {
        ...pending,
        tenant: request.identity.tenant,
        needs: keys.needs(request.kind),
        deadline: request.deadline,
        short,
        done: false,
        settle: (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)),
        onAbort: undefined,
      };
      if (request.cancellation) {
        waiter.onAbort = () =>
          this.finish(
            waiter,
            isCancelled(request) ? CANCELLED : this.drained(waiter, waiter.short),
            true,
          );
        request.cancellation.signal().addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queues.add(waiter);
    });
  }

  /** One try from the queue, in queue order: a grant ends the take, a shortage updates what it waits for. */
  private async attempt(waiter: Waiter): Promise<void> {
    let result: ResilientResult;
    try {
      result = await this.tryStore(waiter);
    } catch (error) {
      return this.finish(waiter, asError(error));
    }
    if (result.granted === 0) {
      waiter.short = shortOf(waiter.keys, waiter.request, result, this.now(), waiter.short);
      return;
    }
    // Cancelled while the store answered: the budget goes back.
    if (waiter.done) void result.release();
    else this.finish(waiter, createGrant(this.grants!, waiter, result));
  }

  /** Ends a queued take, once; `early` (cancelled) lets the takes behind it be reconsidered at once. */
  private finish(waiter: Waiter, outcome: QuotaOutcome | Error, early = false): void {
    if (waiter.done) return;
    waiter.done = true;
    if (waiter.onAbort)
      waiter.request.cancellation?.signal().removeEventListener('abort', waiter.onAbort);
    this.queues.remove(waiter, early);
    waiter.settle(outcome);
  }

  /**
   * The gateway drains: a take that would wait is refused at once, told when its budget would have freed (its own
   * shortage, or the takes ahead of it), or a second when nothing says.
   */
  private drained(pending: Pending, short: Short): QuotaOutcome {
    const { identity, kind } = pending.request;
    const until = Math.max(short.until, this.queues.clearsAt(identity, kind));
    const now = this.now();
    const retryAfterMs = until > now ? until - now : DRAINED_RETRY_AFTER_MS;
    return this.refused(pending.request, retryAfterMs, pending.started);
  }

  private refused(request: QuotaTake, retryAfterMs: number, started: number): QuotaOutcome {
    const waitedMs = this.now() - started;
    this.hooks.waited?.(waitedMs, request.kind);
    this.hooks.refused?.(request.kind);
    return { refused: true, retryAfterMs, waitedMs };
  }
}

export function createQuotaPacer(options: QuotaPacerOptions): QuotaPacer {
  if (options.limits) checkQuotaLimits(options.limits);
  const { replicas = 1, maxHoldMs = DEFAULT_MAX_HOLD_MS } = options;
  if (!Number.isSafeInteger(replicas) || replicas < 1)
    throw new RangeError(`quota replicas must be a positive whole number, got ${replicas}`);
  if (!Number.isSafeInteger(maxHoldMs) || maxHoldMs < 1)
    throw new RangeError(`quota maxHoldMs must be a positive whole number, got ${maxHoldMs}`);
  return new Pacer(options.limits, options);
}
