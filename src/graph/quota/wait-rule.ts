/**
 * Fair waiting inside one replica: takes that find no budget wait in a queue per tenant, in arrival order, and one
 * timer per tenant wakes the queue when the earliest of them may go. Without it, every waiting take slept on its
 * own timer and tried again when it woke: whoever woke first, or a take arriving just then, took the budget that
 * freed, so a caller could wait out its deadline while later ones went through.
 *
 * THE rule (docs/quotas.md): a take waits behind an earlier waiting take when it needs room in a store key (a
 * window, or the 429 block, see `quotaKeys`) that the earlier take holds. A waiting take holds every key it has
 * been short of since it queued (found full at a try, or queued behind others for), until it is served or leaves.
 * A take that needs none of the held keys goes at once. So a read does not queue behind writes held by the write
 * windows alone, another app does not queue behind an app held by its own windows, and once a take is short of a
 * key, nothing that arrives later takes room in that key before it: it cannot be starved by later takes of this
 * replica. Queues are per tenant because every key a take needs belongs to its tenant.
 *
 * This file is the rule alone, with no clock or I/O (table tests: `quota-fifo.spec`); `wait-queue.ts` applies it.
 */

/** What a waiting take holds, and when its own last shortage clears. */
export interface Short {
  /** Store keys it has been short of since it queued (no room for one more call, the block in force). */
  readonly keys: readonly string[];
  /** When what its last try found full clears at the earliest (pacer clock, epoch ms); 0: not tried. */
  readonly until: number;
}

export const NOT_TRIED: Short = Object.freeze({ keys: Object.freeze([]), until: 0 });

/** A take in its tenant's queue. */
export interface Waiting {
  /** Arrival order in this pacer: the queue's order. */
  readonly seq: number;
  readonly tenant: string;
  /** Every store key a take of its identity and kind needs room in (`quotaKeys(identity).needs(kind)`). */
  readonly needs: readonly string[];
  readonly deadline: number;
  short: Short;
  /** Set once it has its outcome: granted, refused or cancelled. */
  done: boolean;
}

export type Step =
  | { readonly kind: 'try' }
  | { readonly kind: 'wait'; readonly until: number }
  | { readonly kind: 'refuse'; readonly until: number };

const TRY: Step = Object.freeze({ kind: 'try' });

/**
 * What a queued take does now, given `held`: each key an earlier waiter is short of, with the earliest time that
 * waiter could have it. Behind one of them, it waits at least until then, and is refused at once if that is not
 * before its deadline. Otherwise it tries the store when its own shortage has passed.
 */
export function nextStep(
  take: Pick<Waiting, 'needs' | 'deadline' | 'short'>,
  held: ReadonlyMap<string, number>,
  now: number,
): Step {
  let behind = false;
  let until = take.short.until;
  for (const key of take.needs) {
    const clears = held.get(key);
    if (clears === undefined) continue;
    behind = true;
    if (clears > until) until = clears;
  }
  if (!behind && until <= now) return TRY;
  until = Math.max(until, now);
  return until >= take.deadline ? { kind: 'refuse', until } : { kind: 'wait', until };
}

/** The keys a take holds after a try that found `found` full: those it held already, and these. */
export function shortAfter(previous: Short, found: readonly string[], until: number): Short {
  const keys = found.filter((key) => !previous.keys.includes(key));
  return { keys: keys.length > 0 ? [...previous.keys, ...keys] : previous.keys, until };
}

/**
 * Records that a take stays queued, for the takes behind it: it holds the keys it held, and those it now queues
 * behind others for, until `until` at least. Returns what it holds now.
 */
export function hold(
  held: Map<string, number>,
  take: Pick<Waiting, 'needs' | 'short'>,
  until: number,
): Short {
  const behind = take.needs.filter((key) => held.has(key));
  const short = behind.length > 0 ? shortAfter(take.short, behind, take.short.until) : take.short;
  for (const key of short.keys) {
    const clears = held.get(key);
    if (clears === undefined || clears < until) held.set(key, until);
  }
  return short;
}
