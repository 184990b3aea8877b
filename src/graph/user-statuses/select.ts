import { propertyNamed } from './properties';

/**
 * `$select` for the given fields: `id` always, then the known properties by their Graph names, sorted so that
 * the same selection always gives the same URL. https://learn.microsoft.com/graph/query-parameters#select-parameter
 */
export function selectQuery(fields: Iterable<string>): string {
  const names = new Set(['id']);
  for (const field of fields) {
    const property = propertyNamed(field);
    if (property) names.add(property.graphName);
  }
  return `$select=${[...names].sort().join(',')}`;
}
