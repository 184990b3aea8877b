/**
 * The gate for tokens Graph has never accepted (issue 23, point 5). The tenant and app a call is charged to come
 * from token claims the gateway cannot verify (`identity.ts`), so anyone can send calls charged to a victim's
 * tenant. Graph refuses them (401) and charges nothing, and the pacer gives their budget back; but while they wait
 * for budget they would hold the tenant's queue ahead of the victim's calls (`wait-queue.ts`), and 400 of them made
 * a valid write wait 20 s and fail.
 *
 * So a take whose token is unproven passes this gate first: per tenant and kind, at most `unprovenSlots` calls of
 * unproven tokens (5 % of the tenant's limit of that kind, at least 1) hold budget or a place in the queue at once,
 * from the take until the attempt is over. The others wait here, first come, first served, outside the tenant's queue:
 * a proven caller never waits behind more than those few. Each place frees as soon as Graph answers (a 401 in a
 * few milliseconds), so unproven callers go through at Graph's pace, a few at a time.
 */
import type { QuotaKind, QuotaLimits } from './limits';
import type { QuotaCancellation } from './types';

/** The part of a tenant's budget that unproven tokens may hold at once. */
export const UNPROVEN_SHARE = 0.05;
/** What a take refused at the gate is told: no place freed before its deadline; places free within a round trip. */
export const UNPROVEN_RETRY_AFTER_MS = 1_000;

/** Calls of unproven tokens a tenant admits at once: `UNPROVEN_SHARE` of its limit of the kind, at least 1. */
export function unprovenSlots(limits: QuotaLimits, kind: QuotaKind): number {
  const limit = kind === 'write' ? limits.tenantWrites : limits.tenantCalls;
  return Math.max(1, Math.floor(limit * UNPROVEN_SHARE));
}

/** Places held in a tenant's gate; `free(count)` gives back that many (all that remain by default), never more. */
export interface GatePass {
  readonly units: number;
  free(count?: number): void;
}

export type GateOutcome = GatePass | { readonly refused: true } | { readonly cancelled: true };

export interface UnprovenGateOptions {
  readonly now: () => number;
  /** Resolves `true` after `ms`, `false` as soon as `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<boolean>;
}

interface GateWaiter {
  readonly want: number;
  readonly deadline: number;
  readonly settle: (outcome: GateOutcome) => void;
  readonly leave: () => void;
}

/** One tenant: places in use, the passes holding them (each expires at its take's deadline), the waiters in order. */
interface Lane {
  readonly slots: number;
  inUse: number;
  readonly passes: Set<Pass>;
  readonly waiting: GateWaiter[];
  timer: AbortController | undefined;
  timerAt: number;
}

class Pass implements GatePass {
  private left: number;

  constructor(
    readonly units: number,
    readonly expires: number,
    private readonly giveBack: (count: number) => void,
  ) {
    this.left = units;
  }

  get remaining(): number {
    return this.left;
  }

  free(count?: number): void {
    const n = Math.min(this.left, count === undefined ? this.left : Math.max(0, Math.floor(count)));
    if (n <= 0) return;
    this.left -= n;
    this.giveBack(n);
  }
}

const REFUSED = Object.freeze({ refused: true as const });
const CANCELLED = Object.freeze({ cancelled: true as const });

export class UnprovenGate {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly options: UnprovenGateOptions) {}

  /**
   * Up to `want` places (at least 1) in a gate (`tenant`: a tenant and kind) of `slots` places, waiting in turn
   * until `deadline` at the latest.
   */
  enter(
    tenant: string,
    slots: number,
    want: number,
    deadline: number,
    cancellation?: QuotaCancellation,
  ): Promise<GateOutcome> {
    // An operation already over takes nothing and waits for nothing: its signal aborted before any listener here.
    if (cancellation?.stopped) return Promise.resolve(CANCELLED);
    const lane = this.laneOf(tenant, slots);
    this.expire(lane);
    if (lane.waiting.length === 0 && lane.inUse < lane.slots)
      return Promise.resolve(this.admit(tenant, lane, want, deadline));
    // Draining, nothing waits here: refused as at the deadline (nothing was sent, a place frees within a second).
    if (this.options.now() >= deadline || cancellation?.draining)
      return Promise.resolve(this.drop(tenant, lane, REFUSED));
    return new Promise<GateOutcome>((resolve) => {
      let onAbort: (() => void) | undefined;
      const signal = cancellation?.signal();
      const waiter: GateWaiter = {
        want,
        deadline,
        settle: (outcome) => {
          if (onAbort) signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
        leave: () => {
          const index = lane.waiting.indexOf(waiter);
          if (index >= 0) lane.waiting.splice(index, 1);
        },
      };
      if (signal) {
        onAbort = () => {
          waiter.leave();
          waiter.settle(this.drop(tenant, lane, cancellation?.stopped ? CANCELLED : REFUSED));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      lane.waiting.push(waiter);
      // Deadlines mostly come in arrival order: the timer set for an earlier one stays.
      if (deadline < lane.timerAt) this.arm(tenant, lane);
    });
  }

  /** Places in use and takes waiting, per tenant with either (for tests and metrics). */
  stats(): Map<string, { inUse: number; waiting: number }> {
    return new Map(
      [...this.lanes].map(([tenant, lane]) => [
        tenant,
        { inUse: lane.inUse, waiting: lane.waiting.length },
      ]),
    );
  }

  close(): void {
    for (const [tenant, lane] of this.lanes) {
      lane.timer?.abort();
      for (const waiter of lane.waiting.splice(0)) waiter.settle(CANCELLED);
      this.lanes.delete(tenant);
    }
  }

  private laneOf(tenant: string, slots: number): Lane {
    let lane = this.lanes.get(tenant);
    if (!lane) {
      lane = {
        slots,
        inUse: 0,
        passes: new Set(),
        waiting: [],
        timer: undefined,
        timerAt: Infinity,
      };
      this.lanes.set(tenant, lane);
    }
    return lane;
  }

  private admit(tenant: string, lane: Lane, want: number, deadline: number): GatePass {
    const units = Math.max(1, Math.min(Math.floor(want), lane.slots - lane.inUse));
    lane.inUse += units;
    const pass: Pass = new Pass(units, deadline, (count) => {
      lane.inUse -= count;
      if (pass.remaining === 0) lane.passes.delete(pass);
      this.next(tenant, lane);
    });
    lane.passes.add(pass);
    return pass;
  }

  /** Places freed: the waiters at the head go, in order, while places remain. */
  private next(tenant: string, lane: Lane): void {
    const now = this.options.now();
    while (lane.waiting.length > 0 && lane.inUse < lane.slots) {
      const waiter = lane.waiting.shift()!;
      waiter.settle(
        waiter.deadline <= now ? REFUSED : this.admit(tenant, lane, waiter.want, waiter.deadline),
      );
    }
    this.drop(tenant, lane, undefined);
    if (lane.waiting.length > 0) this.arm(tenant, lane);
  }

  /** A pass whose take's deadline has passed holds nothing any more (its attempt cannot still be running). */
  private expire(lane: Lane): void {
    const now = this.options.now();
    for (const pass of [...lane.passes]) if (pass.expires <= now) pass.free();
  }

  /** Forgets an idle tenant; passes `outcome` through. */
  private drop<T>(tenant: string, lane: Lane, outcome: T): T {
    if (lane.inUse <= 0 && lane.waiting.length === 0 && this.lanes.get(tenant) === lane) {
      lane.timer?.abort();
      this.lanes.delete(tenant);
    }
    return outcome;
  }

  /** One timer per tenant with waiters: at the first deadline of a waiter or expiry of a pass. */
  private arm(tenant: string, lane: Lane): void {
    let at = Infinity;
    for (const waiter of lane.waiting) at = Math.min(at, waiter.deadline);
    for (const pass of lane.passes) at = Math.min(at, pass.expires);
    lane.timer?.abort();
    lane.timer = undefined;
    lane.timerAt = at;
    if (at === Infinity) return;
    const timer = new AbortController();
    lane.timer = timer;
    void this.options.sleep(Math.max(0, at - this.options.now()), timer.signal).then((elapsed) => {
      if (!elapsed || lane.timer !== timer) return;
      lane.timer = undefined;
      lane.timerAt = Infinity;
      this.expire(lane);
      const now = this.options.now();
      for (const waiter of lane.waiting.filter((w) => w.deadline <= now)) {
        waiter.leave();
        waiter.settle(REFUSED);
      }
      this.next(tenant, lane);
    });
  }
}
