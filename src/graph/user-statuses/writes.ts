import { isGraphError, malformedError, readBackError } from '../errors';
import { toGraphUserStatus } from './model';
import type { GraphUserStatus, GraphUserStatusChanges } from './model';
import { idSegment, userStatusPath, userStatusesCollectionPath } from './paths';
import type { PathVariant, UserStatusLocation } from './paths';
import type { GraphClient } from '../types';

export interface UserStatusWrite {
  readonly userStatus: GraphUserStatus;
  /** Graph's `request-id` and `client-request-id` of the write itself (not of a follow-up read). */
  readonly requestId: string | null;
  readonly clientRequestId: string | null;
}

/** GET one user status. https://learn.microsoft.com/graph/api/intune-deviceconfig-deviceconfigurationuserstatus-get?view=graph-rest-beta */
export async function getUserStatus(
  client: GraphClient,
  location: UserStatusLocation,
  continuation = false,
): Promise<GraphUserStatus> {
  const path = userStatusPath(location);
  const result = await client.request({
    method: 'GET',
    ...path,
    ...(continuation ? { continuation } : {}),
  });
  if (!result.body) throw malformedError('the user status came back empty');
  return toGraphUserStatus(result.body, location.userStatusId, location);
}

/**
 * PATCH one user status. Graph documents 200 with the object, but Intune often answers 204 No Content: then
 * one follow-up GET of the same path reads the object.
 * https://learn.microsoft.com/graph/api/intune-deviceconfig-deviceconfigurationuserstatus-update?view=graph-rest-beta
 */
export async function updateUserStatus(
  client: GraphClient,
  location: UserStatusLocation,
  changes: GraphUserStatusChanges,
): Promise<UserStatusWrite> {
  const result = await client.request({
    method: 'PATCH',
    ...userStatusPath(location),
    body: changes,
  });
  const userStatus = result.body
    ? toGraphUserStatus(result.body, location.userStatusId, location)
    : await readBack(client, location, result);
  return { userStatus, requestId: result.requestId, clientRequestId: result.clientRequestId };
}

/** The follow-up GET of an update Graph answered 204: its failure says the update was applied. */
async function readBack(
  client: GraphClient,
  location: UserStatusLocation,
  write: {
    readonly status: number;
    readonly requestId: string | null;
    readonly clientRequestId: string | null;
  },
): Promise<GraphUserStatus> {
  try {
    return await getUserStatus(client, location, true);
  } catch (error) {
    throw isGraphError(error) ? readBackError(error, write) : error;
  }
}

export interface NewUserStatus {
  readonly path: PathVariant;
  readonly deviceConfigurationId: string;
  /** Graph assigns an id when left out. */
  readonly id?: string;
  readonly properties: GraphUserStatusChanges;
}

/**
 * POST a new user status (201 with the object). A POST is never sent twice once it may have reached Graph.
 * https://learn.microsoft.com/graph/api/intune-deviceconfig-deviceconfigurationuserstatus-create?view=graph-rest-beta
 */
export async function createUserStatus(
  client: GraphClient,
  created: NewUserStatus,
): Promise<UserStatusWrite> {
  const collection = userStatusesCollectionPath(created.path, created.deviceConfigurationId);
  if (created.id !== undefined) idSegment('id', created.id);
  const body = {
    '@odata.type': '#microsoft.graph.deviceConfigurationUserStatus',
    ...(created.id !== undefined ? { id: created.id } : {}),
    ...created.properties,
  };
  const result = await client.request({ method: 'POST', ...collection, body });
  if (!result.body) throw malformedError('the created user status came back empty');
  return {
    userStatus: toGraphUserStatus(result.body, created.id ?? '', created),
    requestId: result.requestId,
    clientRequestId: result.clientRequestId,
  };
}

/** DELETE one user status (204). https://learn.microsoft.com/graph/api/intune-deviceconfig-deviceconfigurationuserstatus-delete?view=graph-rest-beta */
export async function deleteUserStatus(
  client: GraphClient,
  location: UserStatusLocation,
): Promise<{ readonly deletedId: string; readonly requestId: string | null }> {
  const result = await client.request({ method: 'DELETE', ...userStatusPath(location) });
  return { deletedId: location.userStatusId, requestId: result.requestId };
}
