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

const KNOWN_NAMES: readonly string[] = USER_STATUS_PROPERTIES.map(({ graphName }) => graphName);
// `id` is read above: with its fallback, never null.
const VALUE_PROPERTIES = USER_STATUS_PROPERTIES.filter(({ name }) => name !== 'id');

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
  if (!KNOWN_NAMES.some((name) => name in body) || 'error' in body || (!hasId && fallbackId === ''))
    throw malformedError('the answer does not look like a user status');
  // One object of one shape, filled in place from the table: a record built key by key and then spread into the
  // result cost 3-4 µs per user status (20 times this), on every answer of every write and read.
  const status: Record<keyof GraphUserStatus, string | number | null> = {
    id: hasId ? (body.id as string) : fallbackId,
    userDisplayName: null,
    devicesCount: null,
    status: null,
    lastReportedDateTime: null,
    userPrincipalName: null,
    path: origin.path,
    deviceConfigurationId: origin.deviceConfigurationId,
  };
  for (const { name, graphName, type } of VALUE_PROPERTIES)
    status[name] = readValue(type, body[graphName]);
  return status as unknown as GraphUserStatus;
}
