import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { quotaWindows } from '../limits';
import { createEpochRule, isCrossSlot } from './epoch-rule';
import type { EpochKey, EpochRule } from './epoch-rule';
import { createEpochBook } from './epochs';
import type { EpochBook } from './epochs';
import type { QuotaCommands } from './redis-grants';
import { QuotaStoreError, quotaKeys } from '../store';
import type { QuotaStoreTake } from '../store';

/**
 * The probe of a replica that fell back: a dry run of the take script (max 0) for an identity no call has, so that
 * Redis is asked whether it would run a take (every command it uses, allowed under its ACL; not full), not only
 * whether it answers PING (a full Redis does, and an ACL user may be refused PING and not the scripts).
 */
const PROBE_TAKE: QuotaStoreTake = {
  identity: { tenant: 'probe', app: 'probe' },
  kind: 'write',
  max: 0,
  limits: { windowMs: 1_000, appWrites: 1, tenantWrites: 1, appCalls: 1, tenantCalls: 1 },
};

/** Members are `<this store's random id>.<take counter>:<n>`: unique across replicas without a random per take. */
function createPrefixes(): () => string {
  const instance = randomBytes(8).toString('hex');
  let takes = 0;
  return () => {
    takes += 1;
    return `${instance}.${takes.toString(36)}:`;
  };
}

/** The windows are gone: the error a take throws, once the epoch book has learnt it. */
function lostWindows(
  epochs: EpochBook,
  epoch: EpochKey,
  held: string,
  sentAt: number,
  address: string,
): QuotaStoreError {
  // The write-back covers every tenant: every epoch known before is forgotten, this one kept.
  epochs.clear();
  epochs.saw(epoch.key, held, sentAt);
  return new QuotaStoreError(
    `Redis at ${address} lost the quota windows (flushed, evicted, or back empty)`,
    'lost',
  );
}

interface TakeRunParts {
  readonly commands: QuotaCommands;
  readonly address: string;
  readonly epochs: EpochBook;
  readonly epochRule: EpochRule;
}

/** The take script, for `max` calls (0: the probe's dry run); its epoch checked and remembered. */
function createRun({ commands, address, epochs, epochRule }: TakeRunParts) {
  const nextPrefix = createPrefixes();
  return async (request: QuotaStoreTake, max: number) => {
    const keys = quotaKeys(request.identity);
    const windows = quotaWindows(request.limits, request.kind);
    const windowKeys = windows.map((window) => keys.window(window));
    const prefix = nextPrefix();
    const epoch = epochRule.of(keys, request.limits.windowMs);
    // Freshness on a monotonic clock, from before the call: a stall or a clock step is never read as a lost epoch.
    const sentAt = performance.now();
    const generation = epochs.generation;
    const [granted, waitUs, nowUs, short, held, ...counts] = await commands
      .iggQuotaTake(
        2 + windows.length,
        keys.block,
        epoch.key,
        ...windowKeys,
        request.limits.windowMs * 1000,
        max,
        prefix,
        max === 0 ? '' : epochs.expected(epoch.key, sentAt, epoch.freshMs),
        prefix,
        epoch.life,
        ...windows.map((window) => window.limit),
      )
      .catch((error: unknown) => {
        if (isCrossSlot(error)) epochRule.refuse();
        throw error;
      });
    if (granted < 0) throw lostWindows(epochs, epoch, String(held), sentAt, address);
    // Sent before a clear (another take found the windows lost): its epoch may be the old one, not to be expected.
    if (epochs.generation === generation) epochs.saw(epoch.key, String(held), sentAt);
    return { granted, waitUs, nowUs, short, counts, windows, windowKeys, prefix };
  };
}

/**
 * The take script as the store sends it (redis-scripts.ts, TAKE_SCRIPT): its keys and arguments, and the epochs it
 * checks (which key, from epoch-rule.ts; what this replica saw, in epochs.ts), learnt again at each connection.
 * `learning` is the current connection's learning, which start-up waits for.
 */
export function createTakeScript(redis: Redis | Cluster, commands: QuotaCommands, address: string) {
  const epochs = createEpochBook();
  const cluster = (redis as { isCluster?: boolean }).isCluster === true;
  const epochRule = createEpochRule(cluster);
  // Whatever a dropped connection comes back to, the replica writes back its grants before it takes again.
  redis.on('close', () => epochs.clear());
  const run = createRun({ commands, address, epochs, epochRule });

  /**
   * At each connection: which epoch key (`createEpochRule`), and on a standalone Redis the one for all, known from the
   * start (the dry run writes it if missing and remembers it) so that a replica that has not taken yet notices a
   * flush too. Quietly: a take that fails says why.
   */
  let learning: Promise<void> | undefined;
  const learnEpoch = async () => {
    epochRule.decide(await redis.info().catch(() => undefined));
    if (epochRule.global) await run(PROBE_TAKE, 0).catch(() => {});
  };
  if (!cluster) redis.on('ready', () => void (learning = learnEpoch()));
  return { run, probe: () => run(PROBE_TAKE, 0), learning: () => learning };
}
