import { malformedError } from '../errors';
import { USER_STATUS_PROPERTIES } from './properties';
import type { PropertyType, WritablePropertyName } from './properties';
import type { PathVariant, UserStatusOrigin } from './paths';
import type { JsonObject } from '../client/response';

/**
 * A `deviceConfigurationUserStatus` as Graph answered it, checked for shape but with its values untouched:
 * `status` stays Graph's string and `lastReportedDateTime` stays the exact text Graph sent. With it, the collection
 * it was read from (`path`, `deviceConfigurationId`: Graph's body does not say), so that every user status the
 * gateway returns, lists and bulk results included, carries the three ids that find it again.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-deviceconfigurationuserstatus?view=graph-rest-beta
 */
export interface GraphUserStatus extends UserStatusOrigin {
  readonly path: PathVariant;
  readonly id: string;
  readonly status: string | null;
  readonly lastReportedDateTime: string | null;
  readonly userDisplayName: string | null;
  readonly userPrincipalName: string | null;
  readonly devicesCount: number | null;
}

/** The writable properties, with Graph's names and values, as sent in a PATCH or POST body. */
export type GraphUserStatusChanges = Partial<Record<WritablePropertyName, string | number>>;

export function isInt32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
}

function readValue(type: PropertyType, value: unknown): string | number | null {
  if (type === 'int32') return isInt32(value) ? value : null;
  return typeof value === 'string' ? value : null;
}

/**
 * Reads Graph's JSON object as a user status. A success body must look like the resource: an object with a
 * string `id` (every read asks `$select=id,…`), or one of the properties when `fallbackId` stands in for it.
 * Anything else, such as `{"error":{…}}` under a 200, is a malformed answer, never a success with nulls. `origin` is
 * the collection the request named (the caller's spelling of the configuration id, not Graph's).
 */
export function toGraphUserStatus(
  body: JsonObject,
  fallbackId: string,
  origin: UserStatusOrigin,
): GraphUserStatus {
  const hasId = typeof body.id === 'string' && body.id !== '';
  const known = USER_STATUS_PROPERTIES.some(({ graphName }) => graphName in body);
  if (!known || 'error' in body || (!hasId && fallbackId === ''))
    throw malformedError('the answer does not look like a user status');
  const values: Record<string, string | number | null> = {};
  for (const { name, graphName, type } of USER_STATUS_PROPERTIES)
    values[name] = readValue(type, body[graphName]);
  return {
    ...(values as unknown as GraphUserStatus),
    id: hasId ? (body.id as string) : fallbackId,
    path: origin.path,
    deviceConfigurationId: origin.deviceConfigurationId,
  };
}
