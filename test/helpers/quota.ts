import { createQuotaPacer } from '../../src/graph/quota';
import type {
  QuotaIdentity,
  QuotaKind,
  QuotaLimits,
  QuotaPacer,
  QuotaPacerOptions,
} from '../../src/graph/quota';
import { redisQuotaStore } from './redis-store';

export { waitFor } from './wait';

/** Small windows for the pure store and pacer tests (fake clocks). */
export const UNIT_LIMITS: QuotaLimits = {
  windowMs: 1_000,
  appWrites: 2,
  tenantWrites: 3,
  appCalls: 4,
  tenantCalls: 6,
};
/** Intune's proportions at a 1 s window, for the whole Graph client on a fake clock: 2 places for unproven writes. */
export const CLIENT_LIMITS: QuotaLimits = Object.freeze({
  windowMs: 1_000,
  appWrites: 10,
  tenantWrites: 40,
  appCalls: 100,
  tenantCalls: 200,
});

/** A bearer token with these claims, unsigned (the gateway reads claims, never verifies them). */
export const unsignedBearer = (claims: object) => {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `Bearer ${encode({ alg: 'none' })}.${encode(claims)}.sig`;
};

/** Two apps of one tenant, and another tenant. */
export const A: QuotaIdentity = {
  tenant: '11111111-1111-1111-1111-111111111111',
  app: 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
};
export const A2: QuotaIdentity = { tenant: A.tenant, app: 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb' };
export const B: QuotaIdentity = { tenant: '22222222-2222-2222-2222-222222222222', app: A.app };

/** Windows short enough for real-time tests against a real Redis. */
export const REDIS_LIMITS: QuotaLimits = {
  windowMs: 300,
  appWrites: 4,
  tenantWrites: 6,
  appCalls: 8,
  tenantCalls: 12,
};
export const TENANT = '11111111-1111-4111-8111-111111111111';
export const APP_1: QuotaIdentity = { tenant: TENANT, app: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' };
export const APP_2: QuotaIdentity = { tenant: TENANT, app: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb' };

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
    const store = redisQuotaStore(redisUrl());
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
