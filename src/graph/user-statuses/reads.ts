import DataLoader from 'dataloader';
import { malformedError } from '../errors';
import { toGraphUserStatus } from './model';
import type { GraphUserStatus } from './model';
import { userStatusPath } from './paths';
import type { IdNames, UserStatusGraphPath, UserStatusLocation } from './paths';
import { selectQuery } from './select';
import type { GraphClient } from '../types';

/** One read: where the user status is, its Graph path (ids validated and encoded), and the fields asked for. */
export interface UserStatusKey {
  readonly location: UserStatusLocation;
  readonly path: UserStatusGraphPath;
  readonly fields: readonly string[];
}

/**
 * The loader's key for one user status; throws `GraphInputError` (naming the id as the caller did, `names`) before
 * anything is queued, so a bad id never reaches Graph nor holds up the others of the batch.
 */
export function userStatusKey(
  location: UserStatusLocation,
  fields: readonly string[],
  names?: IdNames,
): UserStatusKey {
  return { location, path: userStatusPath(location, names), fields };
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
      return toGraphUserStatus(outcome.body, key.location.userStatusId, key.location);
    } catch (error) {
      return error as Error;
    }
  });
}
