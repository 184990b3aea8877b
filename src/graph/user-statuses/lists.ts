import { GraphInputError, isGraphError, malformedError } from '../errors';
import { toGraphUserStatus } from './model';
import type { GraphUserStatus } from './model';
import { userStatusesCollectionPath } from './paths';
import type { GraphPath, PathVariant, UserStatusOrigin } from './paths';
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

/** How long a list variant that refused `$filter` is filtered by the gateway alone before `$filter` is tried again. */
export const FILTER_RETRY_MS = 60 * 60 * 1000;

/**
 * What this process has learnt of how Graph treats `$filter` on each list variant. One 400 is evidence about one
 * variant, at one time: the others keep their filter, and the variant tries it again after `FILTER_RETRY_MS`
 * (a refusal that was Graph's passing mood must not cost every later list its whole data until a restart). Cursors
 * carry the filter their page was fetched with, so what is learnt here never changes a list being paged through.
 */
export interface ListSupport {
  /** Whether a first page of `variant` is asked for with `$filter`. */
  readonly filters: (variant: PathVariant) => boolean;
  /** Graph answered 400 to `$filter` on `variant` and the same page without it: the gateway filters alone. */
  readonly rejectFilter: (variant: PathVariant) => void;
}

export interface ListSupportOptions {
  readonly now?: () => number;
}

export function createListSupport(options: ListSupportOptions = {}): ListSupport {
  const now = options.now ?? Date.now;
  const rejectedAt = new Map<PathVariant, number>();
  return {
    filters: (variant) => {
      const at = rejectedAt.get(variant);
      if (at === undefined) return true;
      if (now() - at < FILTER_RETRY_MS) return false;
      rejectedAt.delete(variant);
      return true;
    },
    rejectFilter: (variant) => void rejectedAt.set(variant, now()),
  };
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
  /** The status value the page was asked for with `$filter`; null when a status was listed without it. */
  readonly filter?: string | null;
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
function pageUrl(
  request: PageRequest,
  size: number,
  params: PageParams,
  filter: string | undefined,
): string {
  const fields = request.status ? ['status', ...request.fields] : request.fields;
  const query = [`$top=${size}`, selectQuery(fields)];
  // Status values are Graph enum names (letters only), so the literal needs no escaping beyond the URL's.
  if (filter !== undefined) query.push(`$filter=${encodeURIComponent(`status eq '${filter}'`)}`);
  // As Graph wrote it (cursor.ts checked that it is one query value).
  if (params.skiptoken !== undefined) query.push(`$skiptoken=${params.skiptoken}`);
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
 * Whether a page is asked for with `$filter`. A continuation is asked for as its cursor's page was (`at.filter`):
 * its paging token was issued under that filter. A first page, and a continuation of a cursor given out before
 * cursors said (no `f`: it continues as those gateways did), have `$filter` unless Graph refused it on this variant
 * lately. Null: a status is listed, without `$filter`.
 */
function filterFor(
  support: ListSupport,
  request: PageRequest,
  at: CursorPosition,
): { filter: string | null | undefined; pinned: boolean } {
  const status = request.status ?? undefined;
  if (typeof at.filter === 'string' && at.filter !== status)
    throw new GraphInputError('after is a cursor for a list with another status.', 'after');
  const continued = at.offset > 0 || Object.keys(at.params).length > 0;
  if (continued && at.filter !== undefined && status !== undefined)
    return { filter: at.filter, pinned: true };
  if (status === undefined) return { filter: undefined, pinned: false };
  return { filter: support.filters(request.origin.path) ? status : null, pinned: false };
}

/**
 * One Graph page, asked for with or without `$filter` as `filterFor` says. A 400 to a first page's `$filter` is
 * Graph refusing it: the page is fetched again without it and the variant is filtered by the gateway.
 */
async function fetchFiltered(
  client: GraphClient,
  base: URL,
  support: ListSupport,
  request: PageRequest,
  size: number,
  at: CursorPosition,
): Promise<GraphPage> {
  const { filter, pinned } = filterFor(support, request, at);
  const unfiltered = async () => {
    const page = await fetchPage(
      client,
      base,
      request,
      pageUrl(request, size, at.params, undefined),
    );
    return filter === undefined ? page : { ...page, filter: null };
  };
  if (typeof filter !== 'string') return unfiltered();
  try {
    const page = await fetchPage(client, base, request, pageUrl(request, size, at.params, filter));
    return { ...page, filter };
  } catch (error) {
    if (pinned || !isGraphError(error) || error.status !== 400) throw error;
    const page = await unfiltered();
    support.rejectFilter(request.origin.path);
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
  const filter = page.filter !== undefined ? { filter: page.filter } : {};
  if (lastMatch >= position || !page.next) return { params, offset: position, ...filter };
  return { params: page.next, offset: 0, ...filter };
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
  const page = await fetchFiltered(client, base, support, request, size, at);
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
