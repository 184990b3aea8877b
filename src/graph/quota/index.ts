/**
 * Quota pacing for Graph calls (issue 10). Self-contained: imports nothing from the rest of `src/`, so the Graph
 * layer can use it and tests can drive it alone.
 */
export { INTUNE_QUOTA_LIMITS, quotaWindows, replicaShare } from './limits';
export type {
  QuotaIdentity,
  QuotaKind,
  QuotaLimits,
  QuotaObstacle,
  QuotaWindow,
  QuotaWindowId,
} from './limits';
export {
  createIdentityCache,
  createTokenProofs,
  hashedQuotaKey,
  provesToken,
  quotaIdentity,
  throttleEffect,
  TOKEN_HOLDS_SIZE,
  TokenHolds,
  tokenKey,
} from './identity';
export type { ThrottleEffect, TokenProofs } from './identity';
export { createQuotaPacer } from './pacer';
export { abortableSleep, isQuotaCancelled, isQuotaGrant, isQuotaRefusal } from './types';
export type {
  QuotaCancelled,
  AttemptEnd,
  QuotaGrant,
  QuotaHooks,
  QuotaLimitChange,
  QuotaOutcome,
  QuotaPacer,
  QuotaPacerOptions,
  QuotaRefusal,
  QuotaTake,
} from './types';
export { readQuotaConfig } from './settings';
export type { QuotaConfig, QuotaEnvReaders } from './settings';
export { quotaKeys } from './store';
export type { QuotaStore, QuotaStoreResult, QuotaStoreTake } from './store';
export { createMemoryQuotaStore } from './stores/memory-store';
export type { MemoryQuotaStore, MemoryQuotaStoreOptions } from './stores/memory-store';
export { createRedisQuotaStore } from './stores/redis-store';
export type { RedisQuotaStore, RedisQuotaStoreOptions } from './stores/redis-store';
export { QuotaStoreTimeoutError } from './stores/resilient-store';
export { hold, nextStep, NOT_TRIED, shortAfter } from './wait-rule';
export { ThrottleBook } from './throttle';
export {
  decreasedLimit,
  DEFAULT_MAX_HOLD_MS,
  holdFor,
  increaseStep,
  nextRelease,
  raisedLimit,
  releaseGap,
  releaseStep,
} from './throttle-policy';
export { UnprovenGate, unprovenSlots } from './unproven';
export type { GateOutcome, GatePass } from './unproven';
export type { Short, Step, Waiting } from './wait-rule';
