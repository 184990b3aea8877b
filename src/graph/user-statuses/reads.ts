import DataLoader from 'dataloader';
import { malformedError } from '../errors';
import { toGraphUserStatus } from './model';
import type { GraphUserStatus } from './model';
import type { GraphPath } from './paths';
import { selectQuery } from './select';
import type { GraphClient } from '../types';

/** One read: the user status's path (ids validated and encoded), its id, and the fields asked for. */
export interface UserStatusKey {
  readonly path: GraphPath;
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
    cacheKeyFn: (key) => `${key.path.path}|${[...key.fields].sort().join(',')}`,
  });
}

async function readUserStatuses(
  client: GraphClient,
  keys: readonly UserStatusKey[],
): Promise<Array<GraphUserStatus | Error>> {
  const select = selectQuery(keys.flatMap((key) => key.fields));
  const paths = [...new Map(keys.map((key) => [key.path.path, key.path])).values()];
  const outcomes = await client.batch(
    paths.map((path) => ({ method: 'GET' as const, ...path, path: `${path.path}?${select}` })),
  );
  const byPath = new Map(paths.map((path, index) => [path.path, outcomes[index]!]));
  return keys.map((key) => {
    const outcome = byPath.get(key.path.path)!;
    if (!outcome.ok) return outcome.error;
    if (!outcome.body) return malformedError('the user status came back empty');
    try {
      return toGraphUserStatus(outcome.body, key.userStatusId);
    } catch (error) {
      return error as Error;
    }
  });
}
