import { GraphInputError, malformedError } from '../errors';

/** The only query options a cursor may carry: Graph's own paging tokens. The gateway sets every other one. */
export interface PageParams {
  /**
   * As it stands in Graph's nextLink, percent-encoded (`skipCount%3d100`), and sent back as it stands: what Graph
   * wrote is what it reads, however it decodes a `+`.
   */
  readonly skiptoken?: string;
  readonly skip?: number;
}

/**
 * Where the next page starts: a Graph page (by its paging token), how many of its items were served, and the
 * status value that page was asked for with `$filter`: null when a status was listed but Graph was asked for the
 * whole list, absent when no status was listed (and in cursors given out before cursors said: lists.ts then decides
 * as it did). A paging token only means something with the filter it was issued under, so the next page is asked
 * for the same way.
 */
export interface CursorPosition {
  readonly params: PageParams;
  readonly offset: number;
  readonly filter?: string | null;
}

const MAX_TOKEN_LENGTH = 2048;
const MAX_OFFSET = 100_000;

/**
 * A list path as Graph may spell it: segments compared case-insensitively (GUIDs come back upper-case) and
 * `name('id')` read as `name/id` (Intune's nextLinks key collections in parentheses).
 */
export function normaliseListPath(path: string): string {
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      segment = raw;
    }
    const keyed = /^([^(]+)\('?([^'()]*)'?\)$/.exec(segment);
    if (keyed) segments.push(keyed[1]!, keyed[2]!);
    else segments.push(segment);
  }
  return `/${segments.join('/').toLowerCase()}`;
}

/**
 * A query value as a URL may carry it, nothing that could end it (`&`, `#`) or start another option: RFC 3986's
 * query characters and well-formed escapes. https://www.rfc-editor.org/rfc/rfc3986#section-3.4
 */
const ENCODED_QUERY_VALUE = /^(?:[A-Za-z0-9\-._~!$'()*+,;=:@/?]|%[0-9A-Fa-f]{2})+$/;

function checkedParams(skiptoken: string | null, skip: string | null): PageParams | undefined {
  if (
    skiptoken !== null &&
    (skiptoken.length > MAX_TOKEN_LENGTH || !ENCODED_QUERY_VALUE.test(skiptoken))
  )
    return undefined;
  if (skip !== null && !/^\d{1,9}$/.test(skip)) return undefined;
  return {
    ...(skiptoken !== null ? { skiptoken } : {}),
    ...(skip !== null ? { skip: Number(skip) } : {}),
  };
}

/**
 * The first value of a query parameter, as it stands (still percent-encoded); its name is compared decoded
 * (`%24skiptoken` is `$skiptoken`). A pair whose name cannot be decoded is not this one.
 */
function rawQueryParam(search: string, name: string): string | null {
  for (const pair of search.replace(/^\?/, '').split('&')) {
    const at = pair.indexOf('=');
    let key: string;
    try {
      key = decodeURIComponent(at === -1 ? pair : pair.slice(0, at));
    } catch {
      continue;
    }
    if (key === name) return at === -1 ? '' : pair.slice(at + 1);
  }
  return null;
}

/**
 * Graph's `@odata.nextLink`, reduced to its paging token. It must stay on the configured origin and version root
 * and name this very list (however Intune spells it); anything else is an answer the gateway will not follow.
 */
export function pageParamsOf(nextLink: string, base: URL, collectionPath: string): PageParams {
  let link: URL;
  try {
    link = new URL(nextLink, base);
  } catch {
    throw malformedError('the nextLink is not a URL');
  }
  const root = base.pathname.replace(/\/$/, '');
  const sameRoot =
    link.origin === base.origin &&
    !link.username &&
    !link.password &&
    link.pathname.toLowerCase().startsWith(`${root.toLowerCase()}/`);
  const listPath = link.pathname.slice(root.length);
  if (!sameRoot || normaliseListPath(listPath) !== normaliseListPath(collectionPath))
    throw malformedError('the nextLink points somewhere other than this list');
  const params = checkedParams(
    rawQueryParam(link.search, '$skiptoken'),
    rawQueryParam(link.search, '$skip'),
  );
  if (!params || (params.skiptoken === undefined && params.skip === undefined))
    throw malformedError('the nextLink has no paging token the gateway can follow');
  return params;
}

/** The cursor clients see: opaque, bound to its list. */
export function encodeCursor(collectionPath: string, position: CursorPosition): string {
  const payload = {
    l: normaliseListPath(collectionPath),
    r: position.params.skiptoken,
    s: position.params.skip,
    o: position.offset,
    f: position.filter,
  };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

const badCursor = (why: string) => new GraphInputError(`after ${why}.`, 'after');

/** A cursor this gateway gave out for this list, or `GraphInputError`: nothing else reaches Graph. */
export function decodeCursor(cursor: string, collectionPath: string): CursorPosition {
  let payload: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error();
    payload = parsed as Record<string, unknown>;
  } catch {
    throw badCursor('is not a cursor this gateway gave out');
  }
  if (payload.l !== normaliseListPath(collectionPath))
    throw badCursor('is not a cursor for this list');
  // Each field is what this gateway writes or absent: anything else is forged. `t`: the token decoded, as gateways
  // wrote it before `r` (as it stands in the nextLink); read during an upgrade, encoded again as they sent it.
  const { r: raw, t: decoded, s: skip, o: offset, f: filter } = payload;
  if (raw !== undefined && typeof raw !== 'string')
    throw badCursor('is not a cursor this gateway gave out');
  if (decoded !== undefined && (typeof decoded !== 'string' || raw !== undefined))
    throw badCursor('is not a cursor this gateway gave out');
  const token = raw ?? (decoded === undefined ? undefined : encodeURIComponent(decoded));
  if (skip !== undefined && !Number.isInteger(skip))
    throw badCursor('is not a cursor this gateway gave out');
  const params = checkedParams(token ?? null, typeof skip === 'number' ? String(skip) : null);
  if (
    !params ||
    !Number.isInteger(offset) ||
    (offset as number) < 0 ||
    (offset as number) > MAX_OFFSET
  )
    throw badCursor('is not a cursor this gateway gave out');
  // A status value is a Graph enum name: letters only, as pageUrl puts it in `$filter` without escaping.
  if (
    filter !== undefined &&
    filter !== null &&
    (typeof filter !== 'string' || !/^[A-Za-z]{1,64}$/.test(filter))
  )
    throw badCursor('is not a cursor this gateway gave out');
  return { params, offset: offset as number, ...(filter !== undefined ? { filter } : {}) };
}
