/** The properties of a user status Graph can be asked for with `$select`, as the schema names them. */
export const USER_STATUS_PROPERTIES: ReadonlySet<string> = new Set([
  'id',
  'status',
  'lastReportedDateTime',
  'userDisplayName',
  'userPrincipalName',
  'devicesCount',
]);

/**
 * `$select` for the given GraphQL fields: `id` always, then the known properties, sorted so that the same
 * selection always gives the same URL. https://learn.microsoft.com/graph/query-parameters#select-parameter
 */
export function selectQuery(fields: Iterable<string>): string {
  const names = new Set(['id']);
  for (const field of fields) if (USER_STATUS_PROPERTIES.has(field)) names.add(field);
  return `$select=${[...names].sort().join(',')}`;
}
