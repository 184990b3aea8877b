import { upstreamMalformedError } from './errors';
import type { GraphClient } from './client';
import { toGraphUserStatus } from './model';
import type { GraphUserStatus, GraphUserStatusChanges } from './model';
import { userStatusPath } from './paths';
import type { UserStatusLocation } from './paths';

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
): Promise<GraphUserStatus> {
  const result = await client.request({ method: 'GET', path: userStatusPath(location) });
  if (!result.body) throw upstreamMalformedError('the user status came back empty');
  return toGraphUserStatus(result.body, location.userStatusId);
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
  const path = userStatusPath(location);
  const result = await client.request({ method: 'PATCH', path, body: changes });
  const userStatus = result.body
    ? toGraphUserStatus(result.body, location.userStatusId)
    : await getUserStatus(client, location);
  return { userStatus, requestId: result.requestId, clientRequestId: result.clientRequestId };
}
