import { createHash } from 'node:crypto';
import { INTUNE_QUOTA_LIMITS, quotaWindows } from './limits';
import type { QuotaIdentity, QuotaKind, QuotaLimits, QuotaObstacle, QuotaWindow } from './limits';

export interface QuotaStoreTake {
  readonly identity: QuotaIdentity;
  readonly kind: QuotaKind;
  /** At least 1. */
  readonly max: number;
  readonly limits: QuotaLimits;
}

export interface QuotaStoreResult {
  /** Calls granted and recorded in every window of the kind (0: none fit now). */
  readonly granted: number;
  /** When nothing was granted: ms until one call fits (by the store's clock, from now). */
  readonly waitMs: number;
  /** The store's clock at the decision, epoch ms (Redis `TIME` for the shared store). */
  readonly at: number;
  /** When nothing was granted: the windows with no room, and `block` if a 429 block is in force. Empty otherwise. */
  readonly shortOf: readonly QuotaObstacle[];
  /** Takes `count` of the granted calls (all that remain by default) out of every window again. */
  readonly release: (count?: number) => Promise<void>;
  /**
   * Dates the granted calls not given back `beforeNowMs` before the store's now (negative: after it), never earlier
   * than they are, writing again one already dropped. The pacer passes its margin less how far ahead of now the calls
   * may still reach Graph, so that they count until one window after that (entries count for the window plus the
   * margin). It calls it only for an attempt that ended, or lasts, later than the margin after its take: Graph counts
   * a call from its arrival, which the gateway knows only to lie between its grant and the first byte of its answer
   * (`AttemptEnd`).
   */
  readonly arrivedBy?: (beforeNowMs: number) => Promise<void>;
  /**
   * Each window's live entries after the take, every replica's (in `quotaWindows` order): what the replica last
   * saw of the shared windows, so that it knows what is left of them if the store goes away.
   */
  readonly counts?: readonly number[];
  /** The prefix of the grant's entries (`<id><n>`, n from 1 to `granted`), to write them again if lost. */
  readonly id?: string;
}

/** Calls recorded in-process: `release` takes `count` of them out again (the last ones); `arrivedBy` as a result's. */
export interface RecordedEntries {
  readonly release: (count?: number) => void;
  readonly arrivedBy: (beforeNowMs: number) => void;
}

/**
 * A grant to write (again) into the shared windows: one made in-process while they could not be reached, or one made
 * through them that a restarted store may have lost. Its entries are `<id>1` … `<id><count>`.
 */
export interface QuotaRecord {
  readonly identity: QuotaIdentity;
  readonly kind: QuotaKind;
  readonly limits: QuotaLimits;
  readonly id: string;
  readonly count: number;
  /** How long ago it was granted, by the replica's clock (the store dates it from its own now); negative: ahead. */
  readonly ageMs: number;
  /**
   * It was dated later since it was granted (a call that reached Graph late): the store raises the entries it still
   * holds to this date, where it otherwise keeps them as they are (the later date may not have reached it).
   */
  readonly raise?: boolean;
}

/**
 * Why the shared store failed: `timeout` (no answer in time), `unreachable` (not connected), `full` (Redis over its
 * `maxmemory` refused a script), `lost` (its epoch changed: the windows were flushed or emptied) or `error`.
 */
export type QuotaStoreFailure = 'timeout' | 'unreachable' | 'full' | 'lost' | 'error';

/**
 * A shared-store failure whose message is safe to log as it is: `timeout after 1000 ms`, `connection refused to
 * 127.0.0.1:6379`. Never a password, a URL or a command's arguments; the original error stays in `cause`.
 */
export class QuotaStoreError extends Error {
  constructor(
    message: string,
    readonly reason: QuotaStoreFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'QuotaStoreError';
  }
}

export function isQuotaStoreError(error: unknown): error is QuotaStoreError {
  return error instanceof QuotaStoreError;
}

/** Where the windows and blocks live: in-process, or shared by every replica. */
export interface QuotaStore {
  /** `true` when replicas share it (Redis). */
  readonly shared: boolean;
  take(request: QuotaStoreTake): Promise<QuotaStoreResult>;
  /** Nothing is granted to this identity for `durationMs` from the store's now. */
  block(identity: QuotaIdentity, durationMs: number): Promise<void>;
  /** Resolves when the store answers; the pacer probes with it before leaving its fallback. */
  ping(): Promise<void>;
  /**
   * Writes these grants into the windows with their original times (entries already there are kept as they are,
   * expired ones skipped); resolves with the entries added. Only a shared store needs it.
   */
  restore?(records: readonly QuotaRecord[]): Promise<number>;
  /**
   * Calls `listener` whenever the store knows it cannot be reached (its connection dropped), before any take fails:
   * a replica whose calls were all waiting then still learns that a Redis restarted, and empty. At once if it knows
   * so already (nothing answered its start-up wait), so that the pacer's state is true from its first moment.
   */
  watch?(listener: (error: QuotaStoreError) => void): void;
  close(): Promise<void>;
}

/**
 * Counts what is left to release: `take(count)` answers how many of `count` (all that remain by default) may still
 * be given back, so a grant is never released twice over. A class: one is made per Graph call, and an object
 * literal with a getter is several times dearer to create.
 */
export class ReleaseCounter {
  constructor(private left: number) {}

  take(count?: number): number {
    const wanted = count === undefined ? this.left : Math.max(0, Math.floor(count));
    const n = Math.min(this.left, wanted);
    this.left -= n;
    return n;
  }

  get remaining(): number {
    return this.left;
  }
}

export function createReleaseCounter(granted: number): ReleaseCounter {
  return new ReleaseCounter(granted);
}

/** A key part the store may use as it is: GUIDs, `sha256:<hex>` and other short plain names. */
const SAFE_KEY_PART = /^(?:[A-Za-z0-9._-]{1,64}|sha256:[0-9a-f]{64})$/;

/**
 * Key parts come from `quotaIdentity`, which only yields GUIDs and hashes; anything else a caller might pass is
 * hashed here, so no store key can ever hold token text.
 */
function keyPart(value: string): string {
  if (SAFE_KEY_PART.test(value)) return value;
  return `sha256:${createHash('sha256').update(value).digest('hex')}`;
}

export interface QuotaKeys {
  readonly block: string;
  /** The tenant's epoch in a shared store: whether it still holds what a replica saw (redis-scripts.ts, `EPOCH`). */
  readonly epoch: string;
  window(window: Pick<QuotaWindow, 'id'>): string;
  /** The key of what a take was short of (a window, or the block). */
  of(obstacle: QuotaObstacle): string;
  /** Every key a take of this kind needs room in: the block and the kind's windows (the pacer's queues compare them). */
  needs(kind: QuotaKind): readonly string[];
}

/** The windows of each kind, by id: which ones a kind counts in does not depend on the limits' values. */
const WINDOW_IDS: Record<QuotaKind, readonly QuotaWindow['id'][]> = {
  read: quotaWindows(INTUNE_QUOTA_LIMITS, 'read').map((window) => window.id),
  write: quotaWindows(INTUNE_QUOTA_LIMITS, 'write').map((window) => window.id),
};

/** Identities are made once per operation and used for each of its calls: their keys are built once. */
const keysCache = new WeakMap<QuotaIdentity, QuotaKeys>();

/**
 * Store keys of an identity. The tenant sits in a Redis Cluster hash tag (`{…}`) so one script touches one slot.
 * `igg:q:{tenant}:app:w|c` count one app's writes and calls, `igg:q:{tenant}:w|c` all apps', `…:app:b` blocks,
 * `igg:q:{tenant}:e` is the tenant's epoch.
 */
export function quotaKeys(identity: QuotaIdentity): QuotaKeys {
  const cached = keysCache.get(identity);
  if (cached) return cached;
  const tenant = `igg:q:{${keyPart(identity.tenant)}}`;
  const app = `${tenant}:${keyPart(identity.app)}`;
  // By window id: no key is built per call.
  const names: Record<QuotaWindow['id'], string> = {
    appWrites: `${app}:w`,
    appCalls: `${app}:c`,
    tenantWrites: `${tenant}:w`,
    tenantCalls: `${tenant}:c`,
  };
  const block = `${app}:b`;
  const needs: Record<QuotaKind, readonly string[]> = {
    read: [block, ...WINDOW_IDS.read.map((id) => names[id])],
    write: [block, ...WINDOW_IDS.write.map((id) => names[id])],
  };
  const keys: QuotaKeys = {
    block,
    epoch: `${tenant}:e`,
    window: (window) => names[window.id],
    of: (obstacle) => (obstacle === 'block' ? block : names[obstacle]),
    needs: (kind) => needs[kind],
  };
  keysCache.set(identity, keys);
  return keys;
}
