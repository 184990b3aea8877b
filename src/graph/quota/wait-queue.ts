/**
 * The queues that apply THE rule of `wait-rule.ts`: one per tenant with waiting takes, walked in arrival order, and
 * one timer per tenant that wakes its queue when the earliest of them may go.
 */
import type { QuotaIdentity, QuotaKind } from './limits';
import { quotaKeys } from './store';
import { hold, nextStep } from './wait-rule';
import type { Waiting } from './wait-rule';

export interface WaitQueueOptions<W extends Waiting> {
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<boolean>;
  /** Tries the store for `waiter`: either finishes it (and calls `remove`), or sets its `short`. Never rejects. */
  readonly attempt: (waiter: W) => Promise<void>;
  /** Its budget cannot come before its deadline (`until`): finish it refused (and call `remove`). */
  readonly refuse: (waiter: W, until: number) => void;
  /** Walking the queue failed: finish it with the error (and call `remove`). */
  readonly fail: (waiter: W, error: unknown) => void;
}

/** One tenant's queue: its waiters in arrival order, what they hold, and its one timer. */
class Lane<W extends Waiting> {
  readonly waiters: W[] = [];
  /** What the waiters were short of at the end of the last pass, and since then: new takes check it. */
  private held = new Map<string, number>();
  private pumping = false;
  private again = false;
  private timer: AbortController | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly options: WaitQueueOptions<W>,
    private readonly emptied: () => void,
  ) {}

  holdsAny(needs: readonly string[]): boolean {
    for (const key of needs) if (this.held.has(key)) return true;
    return false;
  }

  /** When the held keys among `needs` clear, the latest of them; 0 when none is held. */
  clearsAt(needs: readonly string[]): number {
    let at = 0;
    for (const key of needs) at = Math.max(at, this.held.get(key) ?? 0);
    return at;
  }

  add(waiter: W): void {
    // By arrival: a take whose first try answered late still goes before those that arrived after it.
    let index = this.waiters.length;
    while (index > 0 && this.waiters[index - 1]!.seq > waiter.seq) index -= 1;
    this.waiters.splice(index, 0, waiter);
    const last = index === this.waiters.length - 1;
    if (!(last && !this.pumping && this.placeLast(waiter))) this.kick();
  }

  /**
   * A take that arrives last while no walk is under way: what it does depends only on what the queue holds, so it
   * is decided without walking the queue (an arrival costs its keys, not the queue's length). `false`: it may try.
   */
  private placeLast(waiter: W): boolean {
    const step = nextStep(waiter, this.held, this.options.now());
    if (step.kind === 'try') return false;
    if (step.kind === 'refuse') {
      this.options.refuse(waiter, step.until);
      // Left empty, the queue still has to be walked once to be dropped.
      return this.waiters.length > 0;
    }
    waiter.short = hold(this.held, waiter, step.until);
    if (step.until < this.timerAt) this.arm(step.until);
    return true;
  }

  remove(waiter: W): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }

  /** Budget came back: every waiter tries again in turn, as if its last shortage had passed. */
  wake(): void {
    for (const waiter of this.waiters) waiter.short = { keys: waiter.short.keys, until: 0 };
    this.kick();
  }

  /** Walks the queue again (once the walk in progress, if any, is over). */
  kick(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump();
  }

  close(): W[] {
    this.stopTimer();
    return this.waiters.splice(0);
  }

  private async pump(): Promise<void> {
    let wake = Infinity;
    try {
      do {
        this.again = false;
        wake = await this.pass();
      } while (this.again);
    } catch (error) {
      // Cannot happen (tries never reject); if it did, its callers get the error rather than wait for ever.
      for (const waiter of this.waiters.slice()) this.options.fail(waiter, error);
    } finally {
      this.pumping = false;
      if (this.waiters.length === 0) {
        this.stopTimer();
        this.emptied();
      } else if (wake < this.timerAt) this.arm(wake);
    }
  }

  /**
   * One walk in arrival order: each waiter tries the store when nothing earlier holds a key it needs and its own
   * shortage has passed; tries are one at a time, so the store sees them in queue order. Returns when to wake next.
   */
  private async pass(): Promise<number> {
    const held = new Map<string, number>();
    let wake = Infinity;
    for (const waiter of this.waiters.slice()) {
      if (waiter.done) continue;
      let step = nextStep(waiter, held, this.options.now());
      // Again if its new shortage has already passed by the time the store answered.
      while (step.kind === 'try' && !waiter.done) {
        await this.options.attempt(waiter);
        step = nextStep(waiter, held, this.options.now());
      }
      if (waiter.done || step.kind === 'try') continue;
      if (step.kind === 'refuse') {
        this.options.refuse(waiter, step.until);
        continue;
      }
      waiter.short = hold(held, waiter, step.until);
      // Takes arriving while this walk waits on the store see it at once.
      hold(this.held, waiter, step.until);
      // Its turn, even if that has passed since (a slow store answer): then the timer fires at once. Leaving it
      // out would leave a queue with no timer, and its takes waiting for ever.
      if (step.until < wake) wake = step.until;
    }
    this.held = held;
    return wake;
  }

  private arm(at: number): void {
    this.stopTimer();
    const timer = new AbortController();
    this.timer = timer;
    this.timerAt = at;
    void this.options.sleep(Math.max(0, at - this.options.now()), timer.signal).then((elapsed) => {
      if (this.timer !== timer) return;
      this.timer = undefined;
      this.timerAt = Infinity;
      if (elapsed) this.kick();
    });
  }

  private stopTimer(): void {
    const timer = this.timer;
    this.timer = undefined;
    this.timerAt = Infinity;
    timer?.abort();
  }
}

/** The pacer's queues, one per tenant with waiting takes (none otherwise: a take that never waits costs a lookup). */
export class WaitQueues<W extends Waiting> {
  private readonly lanes = new Map<string, Lane<W>>();

  constructor(private readonly options: WaitQueueOptions<W>) {}

  /** Whether a new take must queue rather than try the store: an earlier waiter is short of a key it needs. */
  mustQueue(identity: QuotaIdentity, kind: QuotaKind): boolean {
    if (this.lanes.size === 0) return false;
    const lane = this.lanes.get(identity.tenant);
    return lane !== undefined && lane.holdsAny(quotaKeys(identity).needs(kind));
  }

  /** When the keys a take of this identity and kind needs, held by waiting takes, clear; 0 when none is held. */
  clearsAt(identity: QuotaIdentity, kind: QuotaKind): number {
    return this.lanes.get(identity.tenant)?.clearsAt(quotaKeys(identity).needs(kind)) ?? 0;
  }

  /** Queues a take in arrival order; the queue then tries it, refuses it or lets it wait its turn. */
  add(waiter: W): void {
    let lane = this.lanes.get(waiter.tenant);
    if (!lane) {
      const created = new Lane(this.options, () => {
        if (this.lanes.get(waiter.tenant) === created) this.lanes.delete(waiter.tenant);
      });
      this.lanes.set(waiter.tenant, created);
      lane = created;
    }
    lane.add(waiter);
  }

  /** Takes a finished waiter out; `reconsider` walks its queue again (it left early: the next may go now). */
  remove(waiter: W, reconsider: boolean): void {
    const lane = this.lanes.get(waiter.tenant);
    if (!lane) return;
    lane.remove(waiter);
    if (reconsider) lane.kick();
  }

  /**
   * Budget of this tenant came back before its time (Graph answered 401/403): its queue is walked now, in order,
   * rather than when the windows would have freed by themselves.
   */
  wake(tenant: string): void {
    this.lanes.get(tenant)?.wake();
  }

  /** Stops every timer; returns the takes still waiting, for the pacer to end. */
  close(): W[] {
    const left = [...this.lanes.values()].flatMap((lane) => lane.close());
    this.lanes.clear();
    return left;
  }
}
