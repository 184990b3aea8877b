import { badUserInput } from '../errors';
import type { GraphClient } from './client';
import { upstreamMalformedError } from './errors';
import { toGraphUserStatus } from './model';
import type { GraphUserStatus } from './model';
import { selectQuery } from './select';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 999;

export interface ListRequest {
  /** The collection's path, ids validated and encoded. */
  readonly collectionPath: string;
  readonly first?: number | null;
  readonly after?: string | null;
  /** Graph's status value to filter on. */
  readonly status?: string | null;
  readonly fields: readonly string[];
}

export interface UserStatusPage {
  readonly nodes: GraphUserStatus[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
}

/** The cursor clients see: Graph's `@odata.nextLink`, wrapped so that clients treat it as opaque. */
export function encodeCursor(nextLink: string): string {
  return Buffer.from(nextLink, 'utf8').toString('base64url');
}

/**
 * The relative URL a cursor stands for, or `BAD_USER_INPUT` when it points anywhere but this very collection on
 * the configured Graph origin: a forged cursor must never carry the caller's token elsewhere.
 */
export function decodeCursor(cursor: string, base: URL, collectionPath: string): string {
  let link: URL;
  try {
    link = new URL(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badUserInput('after is not a cursor this gateway gave out.', 'after');
  }
  const expectedPath = `${base.pathname.replace(/\/$/, '')}${collectionPath}`;
  if (
    link.origin !== base.origin ||
    link.username ||
    link.password ||
    link.hash ||
    link.pathname !== expectedPath
  )
    throw badUserInput(
      'after is not a cursor for this list on the configured Graph origin.',
      'after',
    );
  return `${collectionPath}${link.search}`;
}

function firstPageUrl(request: ListRequest): string {
  const first = request.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE)
    throw badUserInput(`first must be from 1 to ${MAX_PAGE_SIZE}.`, 'first');
  const query = [`$top=${first}`, selectQuery(request.fields)];
  // Status values are Graph enum names (letters only), so the literal needs no escaping beyond the URL's.
  if (request.status) query.push(`$filter=${encodeURIComponent(`status eq '${request.status}'`)}`);
  return `${request.collectionPath}?${query.join('&')}`;
}

/** One page of `GET …/userStatuses`. https://learn.microsoft.com/graph/paging */
export async function listUserStatuses(
  client: GraphClient,
  request: ListRequest,
): Promise<UserStatusPage> {
  const url = request.after
    ? decodeCursor(request.after, client.base, request.collectionPath)
    : firstPageUrl(request);
  const result = await client.request({ method: 'GET', path: url });
  const value = result.body?.value;
  if (!Array.isArray(value)) throw upstreamMalformedError('the list had no value array');
  const nodes = value
    .filter(
      (item): item is Record<string, unknown> =>
        typeof item === 'object' && item !== null && !Array.isArray(item),
    )
    .map((item) => toGraphUserStatus(item, ''));
  const nextLink = result.body?.['@odata.nextLink'];
  const pageInfo =
    typeof nextLink === 'string'
      ? { hasNextPage: true, endCursor: encodeCursor(nextLink) }
      : { hasNextPage: false, endCursor: null };
  return { nodes, pageInfo };
}
