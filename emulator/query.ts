import { serviceError } from './answer';
import type { EmulatorAnswer } from './answer';
import { pageOffset } from './intune';
import { intunePath } from './resource-path';
import type { EmulatorSettings } from './settings';
import { USER_STATUS_ODATA_TYPE } from './store';
import type { EmulatedUserStatus } from './store';

/** A list request, as far as paging and query options go. */
export interface ListRequest {
  readonly query: URLSearchParams;
  readonly settings: EmulatorSettings;
  readonly baseUrl: string;
  /** The path as sent (still encoded): Graph-style links repeat it. */
  readonly rawPath: string;
  /** The decoded segments: Intune-style links respell them. */
  readonly segments: readonly string[];
}

/** `$select=a,b`: only those properties (and `id`); every property without it. */
export function applySelect(
  status: EmulatedUserStatus,
  query: URLSearchParams,
): Record<string, unknown> {
  const select = query.get('$select');
  if (!select) return { '@odata.type': USER_STATUS_ODATA_TYPE, ...status };
  const names = new Set(['id', ...select.split(',').map((name) => name.trim())]);
  return Object.fromEntries(Object.entries(status).filter(([name]) => names.has(name)));
}

type StatusFilter = (status: EmulatedUserStatus) => boolean;

/** `$filter=status eq 'value'`, the one filter Intune's user statuses are listed by here. */
function filterFor(request: ListRequest): StatusFilter | EmulatorAnswer {
  const filter = request.query.get('$filter');
  if (!filter || request.settings.filter === 'ignore') return () => true;
  if (request.settings.filter === 'reject')
    // The words of ASP.NET OData, which Intune's services run on, for a query option a list does not allow.
    return serviceError(
      400,
      'BadRequest',
      "The query specified in the URI is not valid. Query option 'Filter' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.",
    );
  const match = /^status eq '([A-Za-z]+)'$/.exec(filter.trim());
  if (!match) return serviceError(400, 'BadRequest', `Invalid filter clause: ${filter}`);
  return (status) => status.status === match[1];
}

/** The page size: `$top` when honoured, else the configured size. */
function pageSizeFor(request: ListRequest): number | EmulatorAnswer {
  const top = request.query.get('$top');
  if (request.settings.top === 'ignore' || top === null) return request.settings.pageSize;
  const size = Number(top);
  if (!/^\d+$/.test(top) || size < 1 || size > 999)
    return serviceError(400, 'BadRequest', `Invalid value for $top: ${top}`);
  return size;
}

function nextLink(request: ListRequest, offset: number, size: number): string {
  if (request.settings.nextLinks === 'intune')
    // Intune keeps only its own token in the link: the caller must send `$select`/`$filter` again.
    return `${request.baseUrl}${intunePath(request.segments)}?$skiptoken=skipCount%3d${offset}`;
  const next = new URLSearchParams(request.query);
  next.delete('$skip');
  next.set('$top', String(size));
  next.set('$skiptoken', String(offset));
  return `${request.baseUrl}${request.rawPath}?${next.toString()}`;
}

/**
 * A page of the collection with `$top`, `$filter`, `$select`, `$skip` and `$skiptoken` as the settings say, and
 * an absolute `@odata.nextLink` while items remain. https://learn.microsoft.com/graph/paging
 */
export function listPage(
  statuses: Iterable<EmulatedUserStatus>,
  request: ListRequest,
): EmulatorAnswer {
  const size = pageSizeFor(request);
  if (typeof size !== 'number') return size;
  const offset = pageOffset(request.query);
  if (offset === undefined) return serviceError(400, 'BadRequest', 'Invalid $skiptoken.');
  const filter = filterFor(request);
  if (typeof filter !== 'function') return filter;
  const matching = [...statuses].filter(filter);
  const value = matching
    .slice(offset, offset + size)
    .map((status) => applySelect(status, request.query));
  const collectionUrl = `${request.baseUrl}${request.rawPath}`;
  const body: Record<string, unknown> = { '@odata.context': `${collectionUrl}/$metadata`, value };
  if (offset + size < matching.length)
    body['@odata.nextLink'] = nextLink(request, offset + size, size);
  return { status: 200, body };
}
