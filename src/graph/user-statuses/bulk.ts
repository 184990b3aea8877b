import { malformedError, readBackError } from '../errors';
import type { GraphError } from '../errors';
import { toGraphUserStatus } from './model';
import type { GraphUserStatus, GraphUserStatusChanges } from './model';
import type { UserStatusGraphPath, UserStatusLocation } from './paths';
import type { JsonObject } from '../client/response';
import type { GraphClient, ItemOutcome } from '../types';

/** One validated update of a bulk call. */
export interface PreparedUpdate {
  /** Where the user status is, as the caller named it. */
  readonly location: UserStatusLocation;
  /** Its Graph path, ids validated and encoded. */
  readonly path: UserStatusGraphPath;
  readonly changes: GraphUserStatusChanges;
}

export type BulkOutcome =
  | { readonly ok: true; readonly userStatus: GraphUserStatus }
  | { readonly ok: false; readonly error: GraphError };

function readBack(body: JsonObject | undefined, location: UserStatusLocation): BulkOutcome {
  if (!body) return { ok: false, error: malformedError('the user status came back empty') };
  try {
    return { ok: true, userStatus: toGraphUserStatus(body, location.userStatusId, location) };
  } catch (error) {
    return { ok: false, error: error as GraphError };
  }
}

/**
 * PATCHes through `$batch` in chunks of 20, one outcome per update in input order. Items Graph answers with 204
 * are read back through batched GETs; throttled items are sent again by the client's retry loop.
 */
export async function updateUserStatuses(
  client: GraphClient,
  updates: readonly PreparedUpdate[],
): Promise<BulkOutcome[]> {
  const patched = await client.batch(
    updates.map((update) => ({ method: 'PATCH' as const, ...update.path, body: update.changes })),
  );
  const outcomes: Array<BulkOutcome | undefined> = patched.map((outcome: ItemOutcome, index) => {
    if (!outcome.ok) return { ok: false, error: outcome.error };
    if (!outcome.body) return undefined; // 204: read it back below
    return readBack(outcome.body, updates[index]!.location);
  });
  const unread = outcomes.flatMap((outcome, index) => (outcome ? [] : [index]));
  if (unread.length === 0) return outcomes as BulkOutcome[];
  const reads = await client.batch(
    unread.map((index) => ({ method: 'GET' as const, ...updates[index]!.path })),
    { continuation: true },
  );
  reads.forEach((read, position) => {
    const index = unread[position]!;
    const write = patched[index] as { readonly status: number; readonly requestId: string | null };
    // A read answered with a body the gateway cannot use is a failed read-back too: the update was applied.
    const outcome = read.ok
      ? readBack(read.body, updates[index]!.location)
      : { ok: false as const, error: read.error };
    outcomes[index] = outcome.ok
      ? outcome
      : { ok: false, error: readBackError(outcome.error, write) };
  });
  return outcomes as BulkOutcome[];
}
