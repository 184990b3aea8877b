import { Kind } from 'graphql';
import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/**
 * The field names selected under the current field (or under `path` inside it, e.g. `nodes`), fragments and
 * inline fragments included. Used to ask Graph only for what the client will read.
 */
export function selectedFields(info: GraphQLResolveInfo, path: readonly string[] = []): string[] {
  const names = new Set<string>();
  const visit = (
    selectionSet: SelectionSetNode | undefined,
    depth: number,
    seen: ReadonlySet<string>,
  ) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet, depth, seen);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        if (!seen.has(name))
          visit(info.fragments[name]?.selectionSet, depth, new Set([...seen, name]));
      } else if (depth < path.length) {
        if (selection.name.value === path[depth]) visit(selection.selectionSet, depth + 1, seen);
      } else names.add(selection.name.value);
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet, 0, new Set());
  return [...names];
}
