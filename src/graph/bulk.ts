import type { GatewayError } from '../errors';
import { upstreamMalformedError } from './errors';
import { executeBatch } from './batch';
import type { GraphClient } from './client';
import { toGraphUserStatus } from './model';
import type { GraphUserStatus, GraphUserStatusChanges } from './model';

/** One validated update of a bulk call. */
export interface PreparedUpdate {
  /** The user status's path, ids validated and encoded. */
  readonly path: string;
  readonly userStatusId: string;
  readonly changes: GraphUserStatusChanges;
}

export type BulkOutcome =
  | { readonly ok: true; readonly userStatus: GraphUserStatus }
  | { readonly ok: false; readonly error: GatewayError };

/**
 * PATCHes through `$batch` in chunks of 20, one outcome per update in input order. Items Graph answers with 204
 * are read back through batched GETs; throttled items are sent again as `executeBatch` does.
 */
export async function updateUserStatuses(
  client: GraphClient,
  updates: readonly PreparedUpdate[],
): Promise<BulkOutcome[]> {
  const patched = await executeBatch(
    client,
    updates.map((update) => ({ method: 'PATCH' as const, url: update.path, body: update.changes })),
  );
  const outcomes: Array<BulkOutcome | undefined> = patched.map((outcome, index) => {
    if (!outcome.ok) return { ok: false, error: outcome.error };
    if (!outcome.body) return undefined; // 204: read it back below
    return { ok: true, userStatus: toGraphUserStatus(outcome.body, updates[index]!.userStatusId) };
  });
  const unread = outcomes.flatMap((outcome, index) => (outcome ? [] : [index]));
  if (unread.length > 0) {
    const reads = await executeBatch(
      client,
      unread.map((index) => ({ method: 'GET' as const, url: updates[index]!.path })),
    );
    reads.forEach((read, position) => {
      const index = unread[position]!;
      if (!read.ok) outcomes[index] = { ok: false, error: read.error };
      else if (!read.body)
        outcomes[index] = {
          ok: false,
          error: upstreamMalformedError('the user status came back empty'),
        };
      else
        outcomes[index] = {
          ok: true,
          userStatus: toGraphUserStatus(read.body, updates[index]!.userStatusId),
        };
    });
  }
  return outcomes as BulkOutcome[];
}
