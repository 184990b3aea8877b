/**
 * One GraphQL operation's hold on its Graph calls: the caller's cancellation, the operation's deadline, and the
 * time limit of every attempt in flight, all under ONE timer per operation. The timer is armed at the earliest
 * moment an attempt in flight must end (its GRAPH_TIMEOUT_MS, or the deadline when that comes first); it is not
 * touched when an attempt ends early, only re-armed when it fires with attempts still in flight. `end()` is the one
 * way to cancel it. Nothing here is
 * allocated before the operation's first Graph call, and an `AbortSignal` only when something has to wait (a
 * retry delay or a quota wait): checks read `aborted`, attempts in flight are cancelled directly.
 */
import type { AttemptWatcher, WatchedAttempt } from '../http/types';
import type { GraphClock } from '../types';

/** Why an operation stopped: its caller went away (or its request ended), or its deadline passed. */
export type StopReason = 'cancelled' | 'deadline';

/** What the retry loop, the quota step and each attempt read from their operation. */
export interface Cancellation {
  /** Set once the operation is over: nothing more is sent and no wait starts. */
  readonly stopped: StopReason | null;
  /** An `AbortSignal` that aborts when the operation stops; made on first use, for waits only. */
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
}

class Scope implements OperationScope {
  stopped: StopReason | null = null;
  private readonly inFlight = new Set<WatchedAttempt>();
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  private controller: AbortController | undefined;

  constructor(
    readonly deadline: number,
    private readonly clock: GraphClock,
  ) {}

  signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopped) this.controller.abort(this.stopped);
    }
    return this.controller.signal;
  }

  track(attempt: WatchedAttempt, timeoutMs: number): boolean {
    if (this.stopped) return false;
    attempt.expiresAt = Math.min(this.clock.now() + timeoutMs, this.deadline);
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
    if (next !== Infinity) this.arm(next);
  };

  private stop(reason: StopReason): void {
    if (this.stopped) return;
    this.stopped = reason;
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
  return new Scope(options.deadline, options.clock);
}
