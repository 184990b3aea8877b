/**
 * The lanes of `policy.ts`: places counted per lane, and the calls waiting for one, first come, first served. A
 * call that finds room (and nobody waiting ahead of it) takes its places at once, without a promise or a timer:
 * that is every call of a tenant under its cap. A call that waits holds its place in the queue until a place is
 * handed to it (a leaving call passes its place straight to the head of the queue, so no later arrival takes it
 * first), its deadline passes, or its operation stops (the caller went away). Idle lanes are forgotten: a forger
 * claiming a new tenant per call leaves nothing behind.
 */
import type { Lane, LaneKind, TenantCapLimits } from './policy';

/** A Graph service's lanes and their places: one per service, like its pool (built in `client/tenant-cap.ts`). */
export interface TenantCap {
  readonly lanes: TenantLanes;
  readonly limits: TenantCapLimits;
}

/** Observability callbacks (the gateway's metrics); none may throw. */
export interface TenantCapHooks {
  /** A call started (+1) or stopped (−1) waiting for a place in a lane of this kind. */
  waiting?(kind: LaneKind, change: 1 | -1): void;
  /**
   * A call's deadline passed while it waited for a place in a lane of this kind, or the gateway began draining: it
   * was not sent.
   */
  refused?(kind: LaneKind): void;
}

/** What a wait reads of its operation (`client/operation.ts`'s `Cancellation`, restated: the lanes stand alone). */
export interface LaneCancellation {
  readonly stopped: string | null;
  /** The gateway drains: no wait starts, and waits end (`drained`) when the signal aborts with `stopped` unset. */
  readonly draining?: boolean;
  signal(): AbortSignal;
}

export interface TenantLanesOptions {
  /** Epoch ms. */
  readonly now: () => number;
  /** Resolves `true` after `ms`, `false` as soon as `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<boolean>;
  readonly hooks?: TenantCapHooks;
}

/**
 * `deadline`: the deadline passed first (or the operation stopped at it); `cancelled`: the caller went away;
 * `drained`: the gateway began draining (shutting down), and this call is not to wait.
 */
export type EnterOutcome = 'entered' | 'deadline' | 'cancelled' | 'drained';

interface Waiter {
  readonly deadline: number;
  readonly settle: (outcome: EnterOutcome) => void;
}

interface LaneState {
  inUse: number;
  /** In arrival order (a Set keeps it, and lets a waiter that leaves early go in O(1)). */
  readonly waiting: Set<Waiter>;
  /**
   * Continuations (the read-back of a write Graph applied), served before `waiting`, in arrival order: behind calls
   * that arrived after their write they waited out the deadline, as in the quota's queue (`QuotaTake.continuation`).
   */
  readonly ahead: Set<Waiter>;
}

export class TenantLanes {
  private readonly lanes = new Map<string, LaneState>();

  constructor(private readonly options: TenantLanesOptions) {}

  /** A place in every lane at once, or none: `false` when one is full or has calls waiting (they go first). */
  tryEnter(lanes: readonly Lane[]): boolean {
    for (const lane of lanes) {
      const state = this.lanes.get(lane.key);
      if (state && (state.inUse >= lane.places || waiters(state) > 0)) return false;
    }
    for (const lane of lanes) this.stateOf(lane.key).inUse += 1;
    return true;
  }

  /**
   * A place in each lane, taken in order, waiting in turn where one is full, until `deadline` at the latest. Ends
   * holding every place or none: a wait that ends early gives back the places already taken. `ahead`: a
   * continuation, which waits before the other calls (`LaneState.ahead`).
   */
  async enter(
    lanes: readonly Lane[],
    deadline: number,
    cancellation: LaneCancellation,
    ahead = false,
  ): Promise<EnterOutcome> {
    for (let index = 0; index < lanes.length; index += 1) {
      const outcome = await this.enterOne(lanes[index]!, deadline, cancellation, ahead);
      if (outcome !== 'entered') {
        this.leave(lanes.slice(0, index));
        return outcome;
      }
    }
    return 'entered';
  }

  /** Gives back one place in each lane: to the first call waiting there, or to the lane. */
  leave(lanes: readonly Lane[]): void {
    for (const lane of lanes) this.leaveOne(lane.key);
  }

  /** Places in use and calls waiting, per lane in use (tests). */
  stats(): Map<string, { inUse: number; waiting: number }> {
    return new Map(
      [...this.lanes].map(([key, state]) => [key, { inUse: state.inUse, waiting: waiters(state) }]),
    );
  }

  private stateOf(key: string): LaneState {
    let state = this.lanes.get(key);
    if (!state) {
      state = { inUse: 0, waiting: new Set(), ahead: new Set() };
      this.lanes.set(key, state);
    }
    return state;
  }

  private enterOne(
    lane: Lane,
    deadline: number,
    cancellation: LaneCancellation,
    ahead: boolean,
  ): EnterOutcome | Promise<EnterOutcome> {
    const state = this.stateOf(lane.key);
    if (state.inUse < lane.places && waiters(state) === 0) {
      state.inUse += 1;
      return 'entered';
    }
    const { hooks = {}, now, sleep } = this.options;
    if (cancellation.stopped !== null || cancellation.draining || now() >= deadline) {
      const outcome = stopOutcome(cancellation);
      if (outcome !== 'cancelled') hooks.refused?.(lane.kind);
      this.forgetIdle(lane.key, state);
      return outcome;
    }
    const queue = ahead ? state.ahead : state.waiting;
    return new Promise<EnterOutcome>((resolve) => {
      const timer = new AbortController();
      const signal = cancellation.signal();
      const onAbort = () => waiter.settle(stopOutcome(cancellation));
      let done = false;
      const waiter: Waiter = {
        deadline,
        settle: (outcome) => {
          if (done) return;
          done = true;
          queue.delete(waiter);
          timer.abort();
          signal.removeEventListener('abort', onAbort);
          hooks.waiting?.(lane.kind, -1);
          if (outcome === 'deadline' || outcome === 'drained') hooks.refused?.(lane.kind);
          if (outcome !== 'entered') this.forgetIdle(lane.key, state);
          resolve(outcome);
        },
      };
      queue.add(waiter);
      hooks.waiting?.(lane.kind, 1);
      signal.addEventListener('abort', onAbort, { once: true });
      void sleep(deadline - now(), timer.signal).then((elapsed) => {
        if (elapsed) waiter.settle('deadline');
      });
    });
  }

  /** The place goes to the first waiter still within its deadline; with none, back to the lane. */
  private leaveOne(key: string): void {
    const state = this.lanes.get(key);
    if (!state) return;
    if (waiters(state) === 0) {
      // Nearly every leave: nobody waits, the place goes back to the lane.
      if ((state.inUse -= 1) <= 0) this.lanes.delete(key);
      return;
    }
    if (handOver(state.ahead, this.options.now()) || handOver(state.waiting, this.options.now()))
      return;
    state.inUse -= 1;
    this.forgetIdle(key, state);
  }

  private forgetIdle(key: string, state: LaneState): void {
    if (state.inUse <= 0 && waiters(state) === 0 && this.lanes.get(key) === state)
      this.lanes.delete(key);
  }
}

const waiters = (state: LaneState) => state.waiting.size + state.ahead.size;

/** The place to the first of `queue` still within its deadline (those past it refused on the way): `false` if none. */
function handOver(queue: Set<Waiter>, now: number): boolean {
  for (const waiter of queue) {
    if (waiter.deadline <= now) {
      waiter.settle('deadline');
      continue;
    }
    waiter.settle('entered');
    return true;
  }
  return false;
}

/** How a wait that its operation stopped ends: at the deadline, because the caller went away, or the drain. */
function stopOutcome(cancellation: LaneCancellation): EnterOutcome {
  const { stopped } = cancellation;
  if (stopped !== null && stopped !== 'deadline') return 'cancelled';
  return stopped === null && cancellation.draining ? 'drained' : 'deadline';
}
