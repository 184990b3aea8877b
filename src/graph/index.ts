/**
 * The Graph layer's one door: everything the rest of `src/` uses of Microsoft Graph and its HTTP comes from here
 * (an audit in test/unit/architecture.spec.ts keeps it so). Inside:
 * - `client/`: the per-request client, its operation scope (deadline, cancellation), THE retry loop, one attempt,
 *   the quota step of every attempt, Graph's answers and errors;
 * - `http/`: the HTTP module (axios on undici), egress proxies, safe failure reasons;
 * - `quota/`: Intune's quota windows, in-process or shared through Redis, and the pacer with its wait queues;
 * - `tenant-cap/`: each tenant's share of the connections to Graph (its lanes, and the policy that sizes them);
 * - `user-statuses/`: the six paths, the property table, reads (DataLoader), lists and cursors, bulk, writes.
 * Nothing here knows GraphQL or the server.
 */

// The service and its per-request client.
export { createGraphService } from './client/client';
export { drainEndsAt } from './client/operation';
export type {
  GraphAttemptEvent,
  GraphClient,
  GraphHooks,
  GraphService,
  GraphServiceOptions,
  TenantCapOptions,
} from './types';
export { isGraphError, isGraphInputError } from './errors';
export type { GraphError } from './errors';

// HTTP and egress.
export { createHttpTransport } from './http/transport';
export { DEFAULT_MAX_CONNECTIONS } from './http/types';
export { readProxyConfig } from './http/proxy';
export type { GraphProxyConfig } from './http/proxy';

// Intune's quotas.
export { INTUNE_QUOTA_LIMITS, replicaShare } from './quota/limits';
export type { QuotaLimits } from './quota/limits';
export { createQuotaPacer } from './quota/pacer';
export type { QuotaHooks, QuotaPacer } from './quota/types';
export { createRedisQuotaStore } from './quota/stores/redis-store';
export type { RedisQuotaStore } from './quota/stores/redis-store';
export { isQuotaStoreError } from './quota/store';
export { readQuotaConfig } from './quota/settings';
export type { QuotaConfig } from './quota/settings';

// Each tenant's share of the connections to Graph.
export { DEFAULT_TENANT_CAP } from './tenant-cap/policy';
export type { LaneKind } from './tenant-cap/policy';
export type { TenantCapHooks } from './tenant-cap/lanes';

// User statuses: where they live, what they hold, and the calls that read and write them.
export {
  PATH_VARIANTS,
  isPathVariant,
  userStatusPath,
  userStatusesCollectionPath,
} from './user-statuses/paths';
export type {
  IdNames,
  PathVariant,
  UserStatusLocation,
  UserStatusOrigin,
} from './user-statuses/paths';
export { COMPLIANCE_STATUSES, WRITABLE_PROPERTIES } from './user-statuses/properties';
export type {
  GraphComplianceStatus,
  PropertyType,
  WritablePropertyName,
} from './user-statuses/properties';
export type { GraphUserStatus, GraphUserStatusChanges } from './user-statuses/model';
export { createUserStatusLoader, userStatusKey } from './user-statuses/reads';
export type { UserStatusKey, UserStatusLoader } from './user-statuses/reads';
export { createListSupport, listUserStatuses } from './user-statuses/lists';
export type { ListPageInfo, ListSupport, UserStatusPage } from './user-statuses/lists';
export { updateUserStatuses } from './user-statuses/bulk';
export type { BulkOutcome, PreparedUpdate } from './user-statuses/bulk';
export { createUserStatus, deleteUserStatus, updateUserStatus } from './user-statuses/writes';
export type { NewUserStatus } from './user-statuses/writes';
