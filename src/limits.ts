import { GraphQLError, Kind } from 'graphql';
import type {
  ASTVisitor,
  FragmentDefinitionNode,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';

/** Limits on what one GraphQL document may ask, checked before execution. */
export interface QueryLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxFields: number;
  /** Characters of the document text, checked before it is parsed. */
  readonly maxDocumentLength: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 10,
  maxAliases: 50,
  maxFields: 200,
  maxDocumentLength: 50_000,
};

interface Totals {
  depth: number;
  aliases: number;
  fields: number;
}

/**
 * Walks one operation with its fragments spread in place, as execution would, so a fragment used 100 times
 * counts 100 times. A fragment already on the current path is not entered again (NoFragmentCyclesRule reports
 * the cycle itself).
 */
function measure(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  depth: number,
  onPath: ReadonlySet<string>,
  totals: Totals,
  limits: QueryLimits,
): void {
  for (const selection of selectionSet.selections) {
    if (totals.fields > limits.maxFields || totals.aliases > limits.maxAliases) return; // already over: stop early
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue; // introspection is limited by INTROSPECTION instead
      totals.fields += 1;
      if (selection.alias) totals.aliases += 1;
      totals.depth = Math.max(totals.depth, depth);
      if (selection.selectionSet)
        measure(selection.selectionSet, fragments, depth + 1, onPath, totals, limits);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      measure(selection.selectionSet, fragments, depth, onPath, totals, limits);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || onPath.has(name)) continue;
      measure(fragment.selectionSet, fragments, depth, new Set([...onPath, name]), totals, limits);
    }
  }
}

/** A validation rule that refuses operations deeper, wider or more aliased than the limits. */
export function createQueryLimitsRule(limits: QueryLimits = DEFAULT_QUERY_LIMITS): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    Document(document) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const definition of document.definitions)
        if (definition.kind === Kind.FRAGMENT_DEFINITION)
          fragments.set(definition.name.value, definition);
      for (const definition of document.definitions) {
        if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
        const totals: Totals = { depth: 0, aliases: 0, fields: 0 };
        measure(definition.selectionSet, fragments, 1, new Set(), totals, limits);
        const problems = [
          totals.depth > limits.maxDepth
            ? `is nested ${totals.depth} levels deep (at most ${limits.maxDepth})`
            : '',
          totals.aliases > limits.maxAliases ? `uses more than ${limits.maxAliases} aliases` : '',
          totals.fields > limits.maxFields ? `selects more than ${limits.maxFields} fields` : '',
        ].filter(Boolean);
        if (problems.length > 0)
          context.reportError(
            new GraphQLError(`The operation ${problems.join(' and ')}.`, { nodes: [definition] }),
          );
      }
    },
  });
}
