/**
 * One GraphQL operation's hold on its Graph calls: the caller's cancellation, the operation's deadline, and the
 * time limit of every attempt in flight, all under ONE timer per operation. The timer is armed at the earliest
 * moment an attempt in flight must end (its GRAPH_TIMEOUT_MS, or the deadline when that comes first); it is not
 * touched when an attempt ends early, only re-armed when it fires with attempts still in flight. `end()` is the one
 * way to cancel it. Nothing here is
 * allocated before the operation's first Graph call, and an `AbortSignal` only when something has to wait (a
 * retry delay or a quota wait): checks read `aborted`, attempts in flight are cancelled directly.
 *
 * The service's `Drain` reaches the operation the same way: `draining` is read where a wait would start, and the
 * signal of an operation that waits also aborts when the drain begins. Its waits end (each as a refusal, see
 * `drainedError`); attempts in flight, and calls that need no wait, go on until the drain's end, which cuts every
 * operation's deadline: the operation then stops as at its deadline, so that it answers before the process exits.
 */
import type { AttemptWatcher, WatchedAttempt } from '../http/types';
import type { GraphClock } from '../types';

/** Why an operation stopped: its caller went away (or its request ended), or its deadline passed. */
export type StopReason = 'cancelled' | 'deadline';

/** What the retry loop, the quota step and each attempt read from their operation. */
export interface Cancellation {
  /** Set once the operation is over: nothing more is sent and no wait starts. */
  readonly stopped: StopReason | null;
  /**
   * Set once the gateway drains (shuts down): no wait starts, and waits under way end, each as a refusal; nothing
   * that waited is sent. Unlike `stopped`, a call that needs no wait still goes.
   */
  readonly draining: boolean;
  /**
   * Its deadline is the drain's end, which came before its own: stopped at its deadline, it was cut short by the
   * shutdown. Absent: never.
   */
  readonly cutByDrain?: boolean;
  /** An `AbortSignal` that aborts when the operation stops or the drain begins; made on first use, for waits only. */
  signal(): AbortSignal;
}

export interface OperationScope extends Cancellation, AttemptWatcher {
  /** Epoch ms after which no attempt starts and none goes on (GRAPH_DEADLINE_MS from the operation's start). */
  readonly deadline: number;
  /**
   * Ends the operation, the one way it is cancelled (the server calls it when the response closes or the caller
   * goes away): its timer is cleared, attempts still in flight are cancelled (their answers can no longer reach
   * anyone), waits end, and later calls send nothing.
   */
  end(): void;
}

export interface OperationScopeOptions {
  readonly deadline: number;
  readonly clock: GraphClock;
  /** The service's: when it begins, this operation's waits end. */
  readonly drain?: Drain;
}

/** What the drain needs of a live operation: to be told that its deadline is now the drain's end. */
interface Cuttable {
  cut(endsAt: number): void;
}

/**
 * One per Graph service: begun once, when the gateway starts draining. Operations that wait watch it (a callback
 * each, dropped when the operation ends); the others only read `draining`. Not an `AbortSignal`: a thousand
 * operations waiting would be a thousand listeners on one signal, and Node warns past ten.
 *
 * The drain has an end (`endsAt`): the moment by which every operation must have answered, for the process to exit
 * with its answers written (SHUTDOWN_TIMEOUT_MS, less the time to write them). Every operation's deadline is cut to
 * it: the live ones are told (one `Set` add and delete per operation that calls Graph), later ones read it.
 */
export class Drain {
  private begun = false;
  private end = Infinity;
  private readonly watchers = new Set<() => void>();
  private readonly live = new Set<Cuttable>();

  get draining(): boolean {
    return this.begun;
  }

  /** Epoch ms (the service's clock) by which operations must have ended; Infinity before the drain, or without end. */
  get endsAt(): number {
    return this.end;
  }

  begin(endsAt = Infinity): void {
    if (this.begun) return;
    this.begun = true;
    this.end = endsAt;
    const watchers = [...this.watchers];
    this.watchers.clear();
    for (const watcher of watchers) watcher();
    if (endsAt !== Infinity) for (const operation of [...this.live]) operation.cut(endsAt);
  }

  /** Calls `onDrain` once the drain begins (at once if it has); returns what forgets it. */
  watch(onDrain: () => void): () => void {
    if (this.begun) {
      onDrain();
      return noop;
    }
    this.watchers.add(onDrain);
    return () => this.watchers.delete(onDrain);
  }

  /** An operation began (its first Graph call): it is cut when the drain begins, unless it ended first. */
  enlist(operation: Cuttable): void {
    if (!this.begun) this.live.add(operation);
  }

  delist(operation: Cuttable): void {
    this.live.delete(operation);
  }
}

const noop = () => {};

/**
 * When the drain ends, for a shutdown that exits `shutdownTimeoutMs` after it began: early enough for the answers of
 * the operations it cuts to be written (a second, or a fifth of a shorter timeout).
 */
export function drainEndsAt(startedAt: number, shutdownTimeoutMs: number): number {
  return startedAt + shutdownTimeoutMs - Math.min(1_000, shutdownTimeoutMs / 5);
}

class Scope implements OperationScope, Cuttable {
  stopped: StopReason | null = null;
  private readonly inFlight = new Set<WatchedAttempt>();
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  private controller: AbortController | undefined;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly ownDeadline: number,
    private readonly clock: GraphClock,
    private readonly drain: Drain | undefined,
  ) {
    drain?.enlist(this);
  }

  /** Its own deadline, or the drain's end when that comes first. */
  get deadline(): number {
    const endsAt = this.drain?.endsAt ?? Infinity;
    return endsAt < this.ownDeadline ? endsAt : this.ownDeadline;
  }

  get draining(): boolean {
    return this.drain?.draining ?? false;
  }

  get cutByDrain(): boolean {
    return (this.drain?.endsAt ?? Infinity) < this.ownDeadline;
  }

  /** The drain's end comes before what the timer waits for: it fires then, and the operation stops as at its deadline. */
  cut(endsAt: number): void {
    if (!this.stopped && endsAt < this.armedAt) this.arm(endsAt);
  }

  signal(): AbortSignal {
    if (!this.controller) {
      const controller = (this.controller = new AbortController());
      if (this.stopped) controller.abort(this.stopped);
      else if (this.drain) this.unwatch = this.drain.watch(() => controller.abort('draining'));
    }
    return this.controller.signal;
  }

  track(attempt: WatchedAttempt, timeoutMs: number): boolean {
    if (this.stopped) return false;
    const now = this.clock.now();
    // Past its deadline (the drain's end, most likely), before its timer said so: nothing more is sent.
    if (now >= this.deadline) {
      this.stop('deadline');
      return false;
    }
    attempt.expiresAt = Math.min(now + timeoutMs, this.deadline);
    this.inFlight.add(attempt);
    if (attempt.expiresAt < this.armedAt) this.arm(attempt.expiresAt);
    return true;
  }

  untrack(attempt: WatchedAttempt): void {
    this.inFlight.delete(attempt);
  }

  end(): void {
    this.stop('cancelled');
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(0, at - this.clock.now()));
    // The timer never holds the process open: an operation's request ends it, a shutdown closes the server.
    this.timer.unref();
  }

  private readonly onTimer = () => {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.clock.now();
    if (now >= this.deadline) return this.stop('deadline');
    let next = Infinity;
    for (const attempt of this.inFlight) {
      if (attempt.expiresAt <= now) {
        this.inFlight.delete(attempt);
        attempt.expire();
      } else next = Math.min(next, attempt.expiresAt);
    }
    // Attempts tracked before the drain began may outlive its end: the timer fires then too.
    const at = Math.min(next, this.drain?.endsAt ?? Infinity);
    if (at !== Infinity) this.arm(at);
  };

  private stop(reason: StopReason): void {
    if (this.stopped) return;
    this.stopped = reason;
    this.drain?.delist(this);
    this.unwatch?.();
    clearTimeout(this.timer);
    this.timer = undefined;
    const attempts = [...this.inFlight];
    this.inFlight.clear();
    for (const attempt of attempts) {
      if (reason === 'deadline') attempt.expire();
      else attempt.cancel();
    }
    this.controller?.abort(reason);
  }
}

/** The operation's scope, built on its first Graph call. */
export function createOperationScope(options: OperationScopeOptions): OperationScope {
  return new Scope(options.deadline, options.clock, options.drain);
}
