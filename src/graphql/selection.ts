import { Kind } from 'graphql';
import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/**
 * The field names selected under the current field (or under `path` inside it, e.g. `nodes`), fragments and
 * inline fragments included. Used to ask Graph only for what the client will read.
 *
 * A fragment spread twice at the same depth adds no name the first visit did not, so each fragment is visited once
 * per depth: a chain of fragments that each spread the next twice costs one pass, not 2^n (and a cycle ends).
 */
export function selectedFields(info: GraphQLResolveInfo, path: readonly string[] = []): string[] {
  const names = new Set<string>();
  const visited = new Set<string>();
  const visit = (selectionSet: SelectionSetNode | undefined, depth: number) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet, depth);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const key = `${depth}:${selection.name.value}`;
        if (visited.has(key)) continue;
        visited.add(key);
        visit(info.fragments[selection.name.value]?.selectionSet, depth);
      } else if (depth < path.length) {
        if (selection.name.value === path[depth]) visit(selection.selectionSet, depth + 1);
      } else names.add(selection.name.value);
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet, 0);
  return [...names];
}
