import { REDIS_ANSWERING } from './answering';
import type { RedisConnection } from './connection';
import type { RedisSettings } from './settings';
import { firstTlsNode, redisTlsProblem } from './tls-check';

/** What the start-up wait found: connected, or not, with the cause its own diagnosis named (if any). */
export type TlsStart =
  { readonly ready: true } | { readonly ready: false; readonly cause?: string };

export interface TlsOutageOptions {
  readonly atStart: TlsStart;
  /** Called at most once per outage, with the cause in words safe to log (no password: the handshake precedes AUTH). */
  readonly report: (cause: string) => void;
  /** One handshake of the gateway's own; by default `redisTlsProblem(settings, 1000)`. */
  readonly diagnose?: () => Promise<string | undefined>;
  /** The first diagnosis this long after the connection was lost; each one that finds nothing doubles it. */
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

export const TLS_DIAGNOSIS_FIRST_MS = 1_000;
export const TLS_DIAGNOSIS_MAX_MS = 60_000;

type Watched = Pick<RedisConnection, 'on' | 'status'>;

/** The start-up wait's outcome, with the TLS diagnosis when Redis did not answer it (`redisTlsProblem`). */
async function tlsStart(ready: boolean, settings: RedisSettings): Promise<TlsStart> {
  if (ready) return { ready: true };
  const cause = await redisTlsProblem(settings, 1_000);
  return cause ? { ready: false, cause } : { ready: false };
}

/** A Redis user's two warnings: Redis did not answer the start-up wait; a later outage's cause is known. */
export interface RedisOutageWarnings {
  readonly notYet: (cause: string | undefined) => void;
  readonly stillNot: (cause: string) => void;
}

/**
 * What every Redis user (the quota windows, APQ) does after its start-up wait: warn if Redis did not answer it,
 * with the cause ioredis does not give (a certificate not trusted or refused: src/redis/tls-check.ts), then watch
 * for later outages' causes, one warning each (`watchTlsOutages`). The start-up diagnosis is the first outage's.
 */
export async function warnAndWatchOutages(
  connection: Watched,
  settings: RedisSettings,
  answered: boolean,
  warnings: RedisOutageWarnings,
): Promise<void> {
  const start = await tlsStart(answered, settings);
  if (!start.ready) warnings.notYet(start.cause);
  watchTlsOutages(connection, settings, { atStart: start, report: warnings.stillNot });
}

/**
 * Names the TLS cause of an outage after start-up, as the start-up warning does (src/redis/tls-check.ts: ioredis
 * drops handshake errors): a certificate rotated to one this process does not trust left Redis unreachable with
 * only "connection lost" said. An outage is the time from a lost connection to the next 'ready'. A second into it
 * (the reconnects have had their go), one handshake of our own; if it finds nothing (Redis down, not refusing our
 * certificate), another after twice as long, up to a minute apart, until one names a problem or the connection is
 * back. At most one report per outage, and diagnoses far rarer than ioredis's retries (every 500 ms): no log flood,
 * little load. Returns a stop.
 */
export function watchTlsOutages(
  connection: Watched,
  settings: RedisSettings,
  options: TlsOutageOptions,
): () => void {
  if (!firstTlsNode(settings)) return () => undefined;
  const watch = new TlsOutageWatch(connection, {
    diagnose: () => redisTlsProblem(settings, 1_000),
    ...options,
  });
  return () => watch.stop();
}

class TlsOutageWatch {
  private readonly first: number;
  private readonly max: number;
  private delay: number;
  /** This outage's cause has been reported: nothing more until the connection is back. */
  private reported = false;
  private diagnosing = false;
  private stopped = false;
  /** Redis answered since the last lost connection (REDIS_ANSWERING): the outage is over. */
  private answering: boolean;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connection: Watched,
    private readonly options: TlsOutageOptions & Required<Pick<TlsOutageOptions, 'diagnose'>>,
  ) {
    this.first = options.firstDelayMs ?? TLS_DIAGNOSIS_FIRST_MS;
    this.max = options.maxDelayMs ?? TLS_DIAGNOSIS_MAX_MS;
    this.delay = this.first;
    this.answering = options.atStart.ready;
    for (const event of ['close', 'error', 'end']) connection.on(event, () => this.trouble());
    // Not 'ready': ioredis says it before a server refuses the client's certificate (src/redis/answering.ts).
    connection.on(REDIS_ANSWERING, () => this.back());
    this.startWith(options.atStart);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The start-up diagnosis was this outage's first: what it named was reported; else the next comes later. */
  private startWith(start: TlsStart) {
    if (start.ready) return;
    if (start.cause) {
      this.reported = true;
      return;
    }
    this.delay = Math.min(2 * this.first, this.max);
    this.schedule();
  }

  /** ioredis says 'close' and 'error' at every failed attempt: only the first of an outage starts the clock. */
  private trouble() {
    this.answering = false;
    if (this.stopped || this.reported || this.timer || this.diagnosing) return;
    this.schedule();
  }

  private back() {
    this.answering = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.reported = false;
    this.delay = this.first;
  }

  private schedule() {
    this.timer = setTimeout(() => void this.check(), this.delay);
    this.timer.unref();
  }

  private async check() {
    this.timer = undefined;
    // 'end': the gateway closed it (or ioredis did, and connects again: its next 'close' schedules anew).
    if (this.stopped || this.answering || this.connection.status === 'end') return;
    this.diagnosing = true;
    const cause = await this.options
      .diagnose()
      .catch(() => undefined)
      .finally(() => (this.diagnosing = false));
    if (this.stopped || this.answering) return;
    if (cause) {
      this.reported = true;
      return this.options.report(cause);
    }
    this.delay = Math.min(2 * this.delay, this.max);
    this.schedule();
  }
}
