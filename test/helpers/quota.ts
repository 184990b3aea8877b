import { createQuotaPacer, createRedisQuotaStore } from '../../src/graph/quota';
import type {
  QuotaIdentity,
  QuotaKind,
  QuotaLimits,
  QuotaPacer,
  QuotaPacerOptions,
} from '../../src/graph/quota';

export interface QuotaReplica {
  readonly pacer: QuotaPacer;
  /** Takes with a deadline `deadlineIn` ms from now, by this replica's clock (a plain function: destructure it). */
  readonly take: (
    identity: QuotaIdentity,
    kind: QuotaKind,
    max: number,
    deadlineIn?: number,
  ) => ReturnType<QuotaPacer['take']>;
  readonly skew: number;
}

export type QuotaReplicaOptions = Partial<QuotaPacerOptions> & { readonly skewMs?: number };

/**
 * Pacers standing for gateway replicas: each with its own Redis connection and, optionally, a clock `skewMs` off.
 * `closeAll()` closes every one made so far (call it in `afterEach`).
 */
export function createQuotaReplicas(redisUrl: () => string, limits: QuotaLimits) {
  const made: QuotaPacer[] = [];
  const replica = async (options: QuotaReplicaOptions = {}): Promise<QuotaReplica> => {
    const store = createRedisQuotaStore({ url: redisUrl() });
    if (!(await store.ready(2_000))) throw new Error('Redis did not accept a connection');
    const skew = options.skewMs ?? 0;
    const now = () => Date.now() + skew;
    const pacer = createQuotaPacer({ limits, store, now, ...options });
    made.push(pacer);
    const take: QuotaReplica['take'] = (identity, kind, max, deadlineIn = 1_000) =>
      pacer.take({ identity, kind, max, deadline: now() + deadlineIn });
    return { pacer, take, skew };
  };
  const closeAll = () => Promise.all(made.splice(0).map((pacer) => pacer.close()));
  return { replica, closeAll };
}

/** Polls `condition` every 20 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
