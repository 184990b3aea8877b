import { randomBytes } from 'node:crypto';
import { quotaWindows } from '../limits';
import type { QuotaIdentity, QuotaLimits, QuotaWindowId } from '../limits';
import type { MemoryQuotaStore } from './memory-store';
import { createReleaseCounter, quotaKeys } from '../store';
import type { QuotaRecord, QuotaStoreResult, QuotaStoreTake, RecordedEntries } from '../store';
import { fallbackLimit } from '../window';
import type { WindowSighting } from '../window';

/**
 * What a replica must remember to fall back safely and to come back without losing anything
 * (docs/quotas.md, "Redis outages"):
 *
 * - **Sightings**: each shared window as the last answer from Redis showed it (every replica's entries, and how
 *   many of them were this replica's), so that during an outage it paces to its share of what was left.
 * - **Grants** of the last window, shared and in-process, with their entry names: when Redis answers again they
 *   are written into it before this replica grants from it again (in-process ones were never there; shared ones
 *   are gone if Redis restarted empty). Released budget is forgotten.
 * - **Blocks** set while Redis could not be reached, written to it on return.
 *
 * Memory is bounded by one window: what is older is dropped on the way.
 */
export interface FallbackLedger {
  /** An answer from the shared store (granted or not): its windows' counts become the sightings. */
  saw(request: QuotaStoreTake, result: QuotaStoreResult): void;
  /** The limits this replica applies in-process to this take, and until when (see `fallbackLimit`). */
  limitsFor(request: QuotaStoreTake, since: number): { limits: QuotaLimits; until: number };
  /**
   * Remembers a grant to write back; `release` forgets `count` of it (the last ones), `arrivedBy` dates what is left
   * later (written back as that much younger).
   */
  remember(request: QuotaStoreTake, id: string, count: number): LedgerEntry;
  /** A name for the entries of an in-process grant, unique across replicas. */
  nextId(): string;
  /** The live grants remembered after sequence number `from`, and the number to pass next time. */
  pending(from: number): { records: QuotaRecord[]; next: number };
  block(identity: QuotaIdentity, until: number): void;
  /** The blocks set in-process that still hold, as durations from now; taking them clears them. */
  takeBlocks(): Array<{ identity: QuotaIdentity; ms: number }>;
}

/** A grant remembered: as `RecordedEntries`, and its record to write into the shared windows now (none if expired). */
export interface LedgerEntry extends RecordedEntries {
  record(): QuotaRecord | null;
}

interface Grant {
  readonly seq: number;
  at: number;
  /** Dated later since it was granted (`arrivedBy`): written back raising what the store holds. */
  late?: boolean;
  readonly request: QuotaStoreTake;
  readonly id: string;
  count: number;
}

interface Sighting extends WindowSighting {
  /** The store's clock of the answer: an older answer arriving later does not replace a newer one. */
  readonly storeAt: number;
}

const WINDOW_IDS: readonly QuotaWindowId[] = [
  'appWrites',
  'tenantWrites',
  'appCalls',
  'tenantCalls',
];

/** A live grant's record to write into the shared windows, as of `at`; null once given back or expired. */
function recordOf(grant: Grant, at: number): QuotaRecord | null {
  const { identity, kind, limits } = grant.request;
  if (grant.count <= 0 || at - grant.at >= limits.windowMs) return null;
  const { id, count, late } = grant;
  return {
    identity,
    kind,
    limits,
    id,
    count,
    ageMs: at - grant.at,
    ...(late ? { raise: true } : {}),
  };
}

/** The ledger's memory, shared by its parts below. */
interface Ledger {
  readonly local: MemoryQuotaStore;
  readonly now: () => number;
  readonly replicas: number;
  readonly sightings: Map<string, Sighting>;
  grants: Grant[];
  seq: number;
  lastSweep: number;
}

function sweep(l: Ledger, at: number, windowMs: number): void {
  if (at - l.lastSweep < windowMs) return;
  l.lastSweep = at;
  l.grants = l.grants.filter((grant) => grant.count > 0 && at - grant.at < windowMs);
  for (const [key, sighting] of l.sightings)
    if (at - sighting.at >= windowMs) l.sightings.delete(key);
}

function saw(l: Ledger, request: QuotaStoreTake, result: QuotaStoreResult): void {
  if (!result.counts) return;
  const at = l.now();
  const keys = quotaKeys(request.identity);
  const { windowMs } = request.limits;
  sweep(l, at, windowMs);
  quotaWindows(request.limits, request.kind).forEach((window, index) => {
    const count = result.counts![index];
    if (count === undefined) return;
    const key = keys.window(window);
    const previous = l.sightings.get(key);
    if (previous && previous.storeAt > result.at) return;
    l.sightings.set(key, { at, count, own: l.local.live(key, windowMs), storeAt: result.at });
  });
}

function limitsFor(
  l: Ledger,
  request: QuotaStoreTake,
  since: number,
): { limits: QuotaLimits; until: number } {
  const at = l.now();
  const keys = quotaKeys(request.identity);
  const { windowMs } = request.limits;
  const limits: Record<QuotaWindowId, number> = { ...request.limits };
  let until = at;
  const needed = new Set(quotaWindows(request.limits, request.kind).map((window) => window.id));
  for (const id of WINDOW_IDS) {
    if (!needed.has(id)) continue;
    const sighting = l.sightings.get(keys.window({ id }));
    const input = {
      limit: request.limits[id],
      replicas: l.replicas,
      windowMs,
      since,
      now: at,
      sighting,
    };
    const rule = fallbackLimit(input);
    limits[id] = rule.limit;
    until = Math.max(until, rule.until);
  }
  return { limits: { ...limits, windowMs }, until };
}

function remember(l: Ledger, request: QuotaStoreTake, id: string, count: number): LedgerEntry {
  const { now } = l;
  const at = now();
  sweep(l, at, request.limits.windowMs);
  const grant: Grant = { seq: (l.seq += 1), at, request, id, count };
  l.grants.push(grant);
  const releasable = createReleaseCounter(count);
  return {
    release: (wanted) => void (grant.count -= releasable.take(wanted)),
    arrivedBy: (beforeNowMs) => {
      grant.at = Math.max(grant.at, now() - beforeNowMs);
      grant.late = true;
    },
    record: () => recordOf(grant, now()),
  };
}

function pending(l: Ledger, from: number): { records: QuotaRecord[]; next: number } {
  const at = l.now();
  const records: QuotaRecord[] = [];
  for (const grant of l.grants) {
    if (grant.seq <= from) continue;
    const record = recordOf(grant, at);
    if (record) records.push(record);
  }
  return { records, next: l.seq };
}

export function createFallbackLedger(options: {
  readonly local: MemoryQuotaStore;
  readonly now: () => number;
  readonly replicas: number;
}): FallbackLedger {
  const { local, now, replicas } = options;
  const instance = randomBytes(8).toString('hex');
  const sightings = new Map<string, Sighting>();
  const blocks = new Map<string, { identity: QuotaIdentity; until: number }>();
  let ids = 0;
  const l: Ledger = { local, now, replicas, sightings, grants: [], seq: 0, lastSweep: now() };

  return {
    saw: (request, result) => saw(l, request, result),
    limitsFor: (request, since) => limitsFor(l, request, since),
    remember: (request, id, count) => remember(l, request, id, count),
    nextId: () => `${instance}.f${(ids += 1).toString(36)}:`,
    pending: (from) => pending(l, from),
    block(identity, until) {
      const key = quotaKeys(identity).block;
      if ((blocks.get(key)?.until ?? 0) < until) blocks.set(key, { identity, until });
    },
    takeBlocks() {
      const at = now();
      const held = [...blocks.values()].filter((block) => block.until > at);
      blocks.clear();
      return held.map((block) => ({ identity: block.identity, ms: block.until - at }));
    },
  };
}
