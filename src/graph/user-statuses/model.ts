import { malformedError } from '../errors';
import { USER_STATUS_PROPERTIES } from './properties';
import type { PropertyType, WritablePropertyName } from './properties';
import type { JsonObject } from '../client/response';

/**
 * A `deviceConfigurationUserStatus` as Graph answered it, checked for shape but with its values untouched:
 * `status` stays Graph's string and `lastReportedDateTime` stays the exact text Graph sent.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-deviceconfigurationuserstatus?view=graph-rest-beta
 */
export interface GraphUserStatus {
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
 * Anything else, such as `{"error":{…}}` under a 200, is a malformed answer, never a success with nulls.
 */
export function toGraphUserStatus(body: JsonObject, fallbackId: string): GraphUserStatus {
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
  };
}
