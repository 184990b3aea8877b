import DataLoader from 'dataloader';
import { upstreamMalformedError } from './errors';
import { executeBatch } from './batch';
import type { GraphClient } from './client';
import { toGraphUserStatus } from './model';
import type { GraphUserStatus } from './model';
import { selectQuery } from './select';

/** One read: the user status's path (ids validated and encoded), its id, and the GraphQL fields asked for. */
export interface UserStatusKey {
  readonly path: string;
  readonly userStatusId: string;
  readonly fields: readonly string[];
}

export type UserStatusLoader = DataLoader<UserStatusKey, GraphUserStatus, string>;

/**
 * Per request (never shared between requests or tokens): every read of one GraphQL request, gathered in one
 * tick, goes out together. Duplicate keys are asked once; distinct paths go out as `$batch` calls of at most 20,
 * a lone one as a plain GET. Each GET asks only for the union of the batch's selected properties.
 */
export function createUserStatusLoader(client: GraphClient): UserStatusLoader {
  return new DataLoader((keys) => readUserStatuses(client, keys), {
    cacheKeyFn: (key) => `${key.path}|${[...key.fields].sort().join(',')}`,
  });
}

async function readUserStatuses(
  client: GraphClient,
  keys: readonly UserStatusKey[],
): Promise<Array<GraphUserStatus | Error>> {
  const select = selectQuery(keys.flatMap((key) => key.fields));
  const paths = [...new Set(keys.map((key) => key.path))];
  const outcomes = await executeBatch(
    client,
    paths.map((path) => ({ method: 'GET' as const, url: `${path}?${select}` })),
  );
  const byPath = new Map(paths.map((path, index) => [path, outcomes[index]!]));
  return keys.map((key) => {
    const outcome = byPath.get(key.path)!;
    if (!outcome.ok) return outcome.error;
    if (!outcome.body) return upstreamMalformedError('the user status came back empty');
    return toGraphUserStatus(outcome.body, key.userStatusId);
  });
}
