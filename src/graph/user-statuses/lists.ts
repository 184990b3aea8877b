import { GraphInputError, isGraphError, malformedError } from '../errors';
import { toGraphUserStatus } from './model';
import type { GraphUserStatus } from './model';
import { userStatusesCollectionPath } from './paths';
import type { GraphPath, UserStatusOrigin } from './paths';
import type { JsonObject } from '../client/response';
import { selectQuery } from './select';
import type { GraphClient } from '../types';
import { decodeCursor, encodeCursor, pageParamsOf } from './cursor';
import type { CursorPosition, PageParams } from './cursor';

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
  /** The collection to list: its path variant and configuration (the id is validated here). */
  readonly origin: UserStatusOrigin;
  readonly first?: number | null;
  readonly after?: string | null;
  /** Graph's status value to filter on. */
  readonly status?: string | null;
  readonly fields: readonly string[];
}

/** Forward paging state, as Relay's `PageInfo` has it (`hasPreviousPage` is always false: see page-info.ts). */
export interface ListPageInfo {
  readonly hasNextPage: boolean;
  /** The first node's cursor; null when the page is empty. */
  readonly startCursor: string | null;
  /** The last node's cursor; on an empty page, where the next page starts (null when none follows). */
  readonly endCursor: string | null;
}

export interface UserStatusPage {
  readonly nodes: GraphUserStatus[];
  /** The cursor of `nodes[index]` (Relay's edge cursor), encoded when asked for: most callers read none. */
  readonly cursorAt: (index: number) => string;
  readonly pageInfo: ListPageInfo;
}

/** What one page is fetched with: the request, and its collection's path (ids validated and encoded). */
interface PageRequest extends ListRequest {
  readonly collection: GraphPath;
}

export interface GraphPage {
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
function pageUrl(request: PageRequest, size: number, params: PageParams, filter: boolean): string {
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
  request: PageRequest,
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
  request: PageRequest,
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
 * Where the list goes on after the item at `position - 1` of a Graph page: the next matching item of that page, or
 * (none left) the start of Graph's next page, or (the last page) right there, where a later call finds what Graph
 * has added since. `lastMatch` is the index of the page's last matching item.
 */
export function positionAfter(
  page: GraphPage,
  params: PageParams,
  lastMatch: number,
  position: number,
): CursorPosition {
  if (lastMatch >= position || !page.next) return { params, offset: position };
  return { params: page.next, offset: 0 };
}

function lastMatchingIndex(items: readonly JsonObject[], status: string | null | undefined) {
  for (let index = items.length - 1; index >= 0; index -= 1)
    if (matches(items[index]!, status)) return index;
  return -1;
}

/**
 * One page of `GET …/userStatuses`, keeping `first` and `status` as promises whatever Graph does with `$top` and
 * `$filter`: at most `first` nodes, only matching ones, and nothing lost or repeated. A cursor is a Graph page (by
 * its paging token) and an offset into it, so it can stand right after any node: each node's cursor (Relay's edge
 * cursor) continues right after it, even inside a Graph page larger than `first` (Intune ignores `$top`), and
 * `endCursor` is the last node's. https://learn.microsoft.com/graph/paging
 * https://relay.dev/graphql/connections.htm#sec-Edge-Types.Fields.cursor
 */
export async function listUserStatuses(
  client: GraphClient,
  base: URL,
  support: ListSupport,
  listRequest: ListRequest,
): Promise<UserStatusPage> {
  const { origin } = listRequest;
  const collection = userStatusesCollectionPath(origin.path, origin.deviceConfigurationId);
  const request: PageRequest = { ...listRequest, collection };
  const size = pageSize(request.first);
  const at = request.after
    ? decodeCursor(request.after, collection.path)
    : { params: {}, offset: 0 };
  const page = await fetchFiltered(client, base, support, request, size, at.params);
  const taken: number[] = [];
  let index = at.offset;
  for (; index < page.items.length && taken.length < size; index += 1)
    if (matches(page.items[index]!, request.status)) taken.push(index);
  const nodes = taken.map((item) => toGraphUserStatus(page.items[item]!, '', origin));
  const lastMatch = lastMatchingIndex(page.items, request.status);
  const cursorAfter = (position: number) =>
    encodeCursor(collection.path, positionAfter(page, at.params, lastMatch, position));
  const hasNextPage = lastMatch >= index || page.next !== null;
  const cursorAt = (node: number) => cursorAfter(taken[node]! + 1);
  const last = taken.length - 1;
  return {
    nodes,
    cursorAt,
    pageInfo: {
      hasNextPage,
      startCursor: last >= 0 ? cursorAt(0) : null,
      // On an empty page (a whole Graph page filtered out), where the next one starts: the only way on.
      endCursor: last >= 0 ? cursorAt(last) : hasNextPage ? cursorAfter(index) : null,
    },
  };
}
