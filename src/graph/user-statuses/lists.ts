import { GraphInputError, isGraphError, malformedError } from '../errors';
import { toGraphUserStatus } from './model';
import type { GraphUserStatus } from './model';
import type { GraphPath } from './paths';
import type { JsonObject } from '../client/response';
import { selectQuery } from './select';
import type { GraphClient } from '../types';
import { decodeCursor, encodeCursor, pageParamsOf } from './cursor';
import type { PageParams } from './cursor';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 999;
/**
 * Graph's pages hold at most a few hundred items; Intune may ignore `$top` but never sends thousands. A page far
 * larger than any Graph page is refused before its items are read.
 */
export const MAX_GRAPH_PAGE_ITEMS = 5_000;

/** Process-wide knowledge of how this Graph deployment treats list queries. */
export interface ListSupport {
  /** Set once Graph answered 400 to `$filter` on userStatuses: from then on the gateway filters alone. */
  statusFilterRejected: boolean;
}

export function createListSupport(): ListSupport {
  return { statusFilterRejected: false };
}

export interface ListRequest {
  /** The collection's path, ids validated and encoded. */
  readonly collection: GraphPath;
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

interface GraphPage {
  readonly items: JsonObject[];
  readonly next: PageParams | null;
}

function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE)
    throw new GraphInputError(`first must be from 1 to ${MAX_PAGE_SIZE}.`, 'first');
  return size;
}

/**
 * The Graph URL of one page: the gateway sets `$top`, `$select` and `$filter` itself; only Graph's own paging
 * token (`$skiptoken` or `$skip`) comes from a cursor.
 */
function pageUrl(request: ListRequest, size: number, params: PageParams, filter: boolean): string {
  const fields = request.status ? ['status', ...request.fields] : request.fields;
  const query = [`$top=${size}`, selectQuery(fields)];
  // Status values are Graph enum names (letters only), so the literal needs no escaping beyond the URL's.
  if (filter && request.status)
    query.push(`$filter=${encodeURIComponent(`status eq '${request.status}'`)}`);
  if (params.skiptoken !== undefined)
    query.push(`$skiptoken=${encodeURIComponent(params.skiptoken)}`);
  if (params.skip !== undefined) query.push(`$skip=${params.skip}`);
  return `${request.collection.path}?${query.join('&')}`;
}

async function fetchPage(
  client: GraphClient,
  base: URL,
  request: ListRequest,
  url: string,
): Promise<GraphPage> {
  const result = await client.request({ method: 'GET', ...request.collection, path: url });
  const value = result.body?.value;
  if (!Array.isArray(value)) throw malformedError('the list had no value array');
  if (value.length > MAX_GRAPH_PAGE_ITEMS)
    throw malformedError(`a list page held ${value.length} items`);
  const items = (value as unknown[]).filter(
    (item): item is JsonObject => typeof item === 'object' && item !== null && !Array.isArray(item),
  );
  const nextLink = result.body?.['@odata.nextLink'];
  const next =
    typeof nextLink === 'string' ? pageParamsOf(nextLink, base, request.collection.path) : null;
  return { items, next };
}

/**
 * One Graph page, with `$filter` when Graph takes it. A 400 to the filtered request is Graph refusing `$filter`
 * on this list: the page is fetched again without it, and the gateway filters alone from then on.
 */
async function fetchFiltered(
  client: GraphClient,
  base: URL,
  support: ListSupport,
  request: ListRequest,
  size: number,
  params: PageParams,
): Promise<GraphPage> {
  const filter = Boolean(request.status) && !support.statusFilterRejected;
  try {
    return await fetchPage(client, base, request, pageUrl(request, size, params, filter));
  } catch (error) {
    if (!filter || !isGraphError(error) || error.status !== 400) throw error;
    const page = await fetchPage(client, base, request, pageUrl(request, size, params, false));
    support.statusFilterRejected = true;
    return page;
  }
}

const matches = (item: JsonObject, status: string | null | undefined) =>
  !status ||
  (typeof item.status === 'string' && item.status.toLowerCase() === status.toLowerCase());

/**
 * One page of `GET …/userStatuses`, keeping `first` and `status` as promises whatever Graph does with `$top` and
 * `$filter`: at most `first` nodes, only matching ones, and nothing lost or repeated. When Graph sends more than
 * `first`, the next cursor serves the rest of that Graph page before Graph's nextLink is followed.
 * https://learn.microsoft.com/graph/paging
 */
export async function listUserStatuses(
  client: GraphClient,
  base: URL,
  support: ListSupport,
  request: ListRequest,
): Promise<UserStatusPage> {
  const size = pageSize(request.first);
  const at = request.after
    ? decodeCursor(request.after, request.collection.path)
    : { params: {}, offset: 0 };
  const page = await fetchFiltered(client, base, support, request, size, at.params);
  const nodes: GraphUserStatus[] = [];
  let index = at.offset;
  for (; index < page.items.length && nodes.length < size; index += 1) {
    const item = page.items[index]!;
    if (matches(item, request.status)) nodes.push(toGraphUserStatus(item, ''));
  }
  const restOfPage = page.items.slice(index).some((item) => matches(item, request.status));
  const cursor = restOfPage
    ? { params: at.params, offset: index }
    : page.next
      ? { params: page.next, offset: 0 }
      : null;
  return {
    nodes,
    pageInfo: cursor
      ? { hasNextPage: true, endCursor: encodeCursor(request.collection.path, cursor) }
      : { hasNextPage: false, endCursor: null },
  };
}
