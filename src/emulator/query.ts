import { graphError } from './routes';
import type { EmulatorAnswer } from './routes';
import { USER_STATUS_ODATA_TYPE } from './store';
import type { EmulatedUserStatus } from './store';

/** Graph's page size for a list when `$top` is left out. */
export const EMULATOR_DEFAULT_PAGE_SIZE = 100;

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

/** `$filter=status eq 'value'`, the one filter Intune's user statuses are listed by here. */
function filterFor(
  query: URLSearchParams,
): ((status: EmulatedUserStatus) => boolean) | EmulatorAnswer {
  const filter = query.get('$filter');
  if (!filter) return () => true;
  const match = /^status eq '([A-Za-z]+)'$/.exec(filter.trim());
  if (!match) return graphError(400, 'BadRequest', `Invalid filter clause: ${filter}`);
  return (status) => status.status === match[1];
}

/**
 * A page of the collection with `$top`, `$filter`, `$select` and `$skiptoken`, and an absolute
 * `@odata.nextLink` that carries them all. https://learn.microsoft.com/graph/paging
 */
export function listPage(
  statuses: Iterable<EmulatedUserStatus>,
  query: URLSearchParams,
  collectionUrl: string,
): EmulatorAnswer {
  const top = Number(query.get('$top') ?? EMULATOR_DEFAULT_PAGE_SIZE);
  const skip = Number(query.get('$skiptoken') ?? 0);
  if (!Number.isInteger(top) || top < 1 || top > 999)
    return graphError(400, 'BadRequest', `Invalid value for $top: ${query.get('$top')}`);
  if (!Number.isInteger(skip) || skip < 0)
    return graphError(400, 'BadRequest', 'Invalid $skiptoken.');
  const filter = filterFor(query);
  if (typeof filter !== 'function') return filter;
  const matching = [...statuses].filter(filter);
  const value = matching.slice(skip, skip + top).map((status) => applySelect(status, query));
  const body: Record<string, unknown> = { '@odata.context': `${collectionUrl}/$metadata`, value };
  if (skip + top < matching.length) {
    const next = new URLSearchParams(query);
    next.set('$top', String(top));
    next.set('$skiptoken', String(skip + top));
    body['@odata.nextLink'] = `${collectionUrl}?${next.toString()}`;
  }
  return { status: 200, body };
}
