/**
 * A take's state between its arrival at the pacer and its outcome: what it asked, what it is short of, and the
 * small outcomes the pacer (`pacer.ts`) hands back. No clock or I/O here.
 */
import type { ResilientResult } from './stores/resilient-store';
import type { QuotaKeys } from './store';
import type { QuotaOutcome, QuotaTake } from './types';
import type { GatePass } from './unproven';
import { NOT_TRIED, shortAfter } from './wait-rule';
import type { Short, Waiting } from './wait-rule';

export const CANCELLED: QuotaOutcome = Object.freeze({ cancelled: true as const });

/** What a take that got nothing holds now, as store keys, and until when its shortage lasts (never now). */
export function shortOf(
  keys: QuotaKeys,
  request: QuotaTake,
  result: ResilientResult,
  now: number,
  previous: Short = NOT_TRIED,
): Short {
  // A store that names nothing (none does) would let every later take pass: count it short of all it needs.
  const named = result.shortOf.map((obstacle) => keys.of(obstacle));
  const found = named.length > 0 ? named : keys.needs(request.kind);
  return shortAfter(previous, found, now + Math.max(1, result.waitMs));
}

/** A take on its way to the store: its own, or its place in the queue. */
export interface Pending {
  readonly request: QuotaTake;
  /** At least 1. */
  readonly max: number;
  readonly keys: QuotaKeys;
  readonly seq: number;
  readonly started: number;
  /** Its places in the gate for unproven tokens, if it passed it. */
  readonly pass: GatePass | undefined;
  /** When its last try was sent to the store (this replica's clock): a grant is dated no earlier. */
  asked: number;
}

/** A take in its tenant's queue, with what the pacer needs to end it. */
export interface Waiter extends Pending, Waiting {
  readonly settle: (outcome: QuotaOutcome | Error) => void;
  onAbort: (() => void) | undefined;
}

export const asError = (error: unknown) =>
  error instanceof Error ? error : new Error(String(error));

export const isCancelled = (request: QuotaTake) => (request.cancellation?.stopped ?? null) !== null;

/** What a take the drain refused is told when nothing says when its budget frees: a second, as at the gate. */
export const DRAINED_RETRY_AFTER_MS = 1_000;

const HELD = { granted: 0, shortOf: ['block'] as const, release: async () => {}, shared: false };

/** A try that did not reach the store: the release after a hold lets this take go at `waitMs` from now. */
export const released = (waitMs: number, now: number): ResilientResult => ({
  ...HELD,
  waitMs,
  at: now,
});
