import { quotaWindows } from '../limits';
import type { QuotaIdentity, QuotaObstacle, QuotaWindow } from '../limits';
import { createReleaseCounter, quotaKeys } from '../store';
import type { QuotaStore, QuotaStoreResult, QuotaStoreTake, RecordedEntries } from '../store';
import { firstLive, planTake, shortage } from '../window';
import type { WindowLog } from '../window';

/** Pruned entries are cut off the front of a log once this many have piled up (and they are half of it). */
const COMPACT_AFTER = 64;

const NOTHING_TO_RELEASE = async () => {};
const NOTHING_SHORT: readonly QuotaObstacle[] = Object.freeze([]);

/** What a refused take was short of, by name. */
function obstaclesOf(
  windows: readonly QuotaWindow[],
  short: { blocked: boolean; full: readonly number[] },
): QuotaObstacle[] {
  const names: QuotaObstacle[] = short.full.map((index) => windows[index]!.id);
  return short.blocked ? ['block', ...names] : names;
}

interface Log {
  stamps: number[];
  start: number;
  limit: number;
}

export interface MemoryQuotaStoreOptions {
  /** Epoch ms; injected by tests. */
  readonly now?: () => number;
}

/** The in-process store, also usable synchronously: the pacer's fallback and its shadow of shared grants. */
export interface MemoryQuotaStore extends QuotaStore {
  takeNow(request: QuotaStoreTake): QuotaStoreResult;
  /**
   * Records `count` calls in every window of the kind whether or not they fit: the mirror of a grant the shared
   * store made, which this replica sent whatever its own windows say. `at` (now by default) dates them. Returns
   * what takes them out again, or dates them later.
   */
  recordNow(request: QuotaStoreTake, count: number, at?: number): RecordedEntries;
  /** Live entries of one window key now (0 for a key it does not hold). */
  live(key: string, windowMs: number): number;
  blockNow(identity: QuotaIdentity, durationMs: number): void;
  /**
   * Keys (windows and blocks) and recorded entries held right now: memory stays bounded by the identities active
   * in the last window and, per window, by its limit (plus pruned entries not yet cut off).
   */
  stats(): { keys: number; entries: number };
}

function insertAt(stamps: readonly number[], at: number): number {
  let low = 0;
  let high = stamps.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (stamps[middle]! <= at) low = middle + 1;
    else high = middle;
  }
  return low;
}

function record(log: Log, at: number, count: number): void {
  const last = log.stamps[log.stamps.length - 1];
  if (last === undefined || last <= at) {
    for (let i = 0; i < count; i += 1) log.stamps.push(at);
    return;
  }
  // The clock went back: keep the log sorted.
  log.stamps.splice(insertAt(log.stamps, at), 0, ...new Array<number>(count).fill(at));
}

function unrecord(log: Log, at: number, count: number): void {
  let removed = 0;
  for (let i = log.stamps.length - 1; i >= log.start && removed < count; i -= 1) {
    if (log.stamps[i] !== at) continue;
    log.stamps.splice(i, 1);
    removed += 1;
  }
}

/** Entries still counting (the log is pruned). */
const liveIn = (log: Log) => log.stamps.length - log.start;

/**
 * Records `count` calls at `at` in each log. What it returns takes them out again (never more than that), or dates
 * those left later, never earlier (`QuotaStoreResult.arrivedBy`); `logsNow` finds the logs again for that.
 */
function recordIn(
  first: readonly Log[],
  logsNow: () => readonly Log[],
  at: number,
  count: number,
  now: () => number,
): RecordedEntries {
  const releasable = createReleaseCounter(count);
  let stamp = at;
  let logs = first;
  for (const log of logs) record(log, stamp, count);
  return {
    release: (wanted) => {
      const n = releasable.take(wanted);
      if (n > 0) for (const log of logs) unrecord(log, stamp, n);
    },
    arrivedBy: (beforeNowMs) => {
      const later = now() - beforeNowMs;
      const n = releasable.remaining;
      if (n === 0 || later <= stamp) return;
      // Entries already pruned are recorded again, in the logs the store holds now (a sweep may have dropped
      // these): Graph counts the calls until a window after `later`.
      for (const log of logs) unrecord(log, stamp, n);
      logs = logsNow();
      for (const log of logs) record(log, later, n);
      stamp = later;
    },
  };
}

function prune(log: Log, now: number, windowMs: number): void {
  log.start = firstLive(log.stamps, log.start, now, windowMs);
  if (log.start > COMPACT_AFTER && log.start * 2 > log.stamps.length) {
    log.stamps.splice(0, log.start);
    log.start = 0;
  }
}

/** The store's logs and blocks, shared by its parts below. */
interface Memory {
  readonly now: () => number;
  readonly logs: Map<string, Log>;
  readonly blocks: Map<string, number>;
  lastSweep: number;
}

function sweep(m: Memory, at: number, windowMs: number): void {
  if (at - m.lastSweep < windowMs) return;
  m.lastSweep = at;
  for (const [key, log] of m.logs) {
    prune(log, at, windowMs);
    if (log.start >= log.stamps.length) m.logs.delete(key);
  }
  for (const [key, until] of m.blocks) if (until <= at) m.blocks.delete(key);
}

function logFor(m: Memory, key: string, limit: number): Log {
  let log = m.logs.get(key);
  if (!log) {
    log = { stamps: [], start: 0, limit };
    m.logs.set(key, log);
  }
  log.limit = limit;
  return log;
}

/** The logs of the request's windows, made when missing. */
function logsOf(m: Memory, request: QuotaStoreTake): Log[] {
  const keys = quotaKeys(request.identity);
  return quotaWindows(request.limits, request.kind).map((window) =>
    logFor(m, keys.window(window), window.limit),
  );
}

function takeNow(m: Memory, request: QuotaStoreTake): QuotaStoreResult {
  const { now, blocks } = m;
  const at = now();
  const { windowMs } = request.limits;
  sweep(m, at, windowMs);
  const keys = quotaKeys(request.identity);
  const windows = quotaWindows(request.limits, request.kind);
  const windowLogs = windows.map((window) => logFor(m, keys.window(window), window.limit));
  for (const log of windowLogs) prune(log, at, windowMs);
  const views: WindowLog[] = windowLogs;
  const blockedUntil = blocks.get(keys.block) ?? 0;
  const plan = planTake(views, at, windowMs, request.max, blockedUntil);
  if (plan.granted === 0) {
    const shortOf = obstaclesOf(windows, shortage(views, at, windowMs, blockedUntil));
    const counts = windowLogs.map(liveIn);
    return { granted: 0, waitMs: plan.waitMs, at, shortOf, release: NOTHING_TO_RELEASE, counts };
  }
  const entries = recordIn(windowLogs, () => logsOf(m, request), at, plan.granted, now);
  return {
    granted: plan.granted,
    waitMs: 0,
    at,
    shortOf: NOTHING_SHORT,
    release: (count) => Promise.resolve(entries.release(count)),
    arrivedBy: (beforeNowMs) => Promise.resolve(entries.arrivedBy(beforeNowMs)),
    counts: windowLogs.map(liveIn),
  };
}

function recordNow(
  m: Memory,
  request: QuotaStoreTake,
  count: number,
  at = m.now(),
): RecordedEntries {
  const { now } = m;
  const { windowMs } = request.limits;
  sweep(m, now(), windowMs);
  const windowLogs = logsOf(m, request);
  for (const log of windowLogs) prune(log, now(), windowMs);
  const logsNow = () => logsOf(m, request);
  return recordIn(windowLogs, logsNow, at, Math.max(0, Math.floor(count)), now);
}

function blockNow(m: Memory, identity: QuotaIdentity, durationMs: number): void {
  const key = quotaKeys(identity).block;
  const until = m.now() + Math.max(0, durationMs);
  // A shorter block never cuts a longer one short.
  if ((m.blocks.get(key) ?? 0) < until) m.blocks.set(key, until);
}

/**
 * An exact sliding-window log per key, in this process. Each log holds at most its limit of live entries; idle
 * keys and expired blocks are dropped by a sweep once per window.
 */
export function createMemoryQuotaStore(options: MemoryQuotaStoreOptions = {}): MemoryQuotaStore {
  const now = options.now ?? Date.now;
  const logs = new Map<string, Log>();
  const blocks = new Map<string, number>();
  const m: Memory = { now, logs, blocks, lastSweep: now() };

  return {
    shared: false,
    takeNow: (request) => takeNow(m, request),
    recordNow: (request, count, at) => recordNow(m, request, count, at),
    live: (key, windowMs) => {
      const log = logs.get(key);
      if (!log) return 0;
      prune(log, now(), windowMs);
      return liveIn(log);
    },
    blockNow: (identity, durationMs) => blockNow(m, identity, durationMs),
    take: (request) => Promise.resolve(takeNow(m, request)),
    block: (identity, durationMs) => Promise.resolve(blockNow(m, identity, durationMs)),
    ping: () => Promise.resolve(),
    close: () => {
      logs.clear();
      blocks.clear();
      return Promise.resolve();
    },
    stats: () => {
      let entries = 0;
      for (const log of logs.values()) entries += log.stamps.length;
      return { keys: logs.size + blocks.size, entries };
    },
  };
}
