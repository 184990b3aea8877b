import { BREAK, Kind, visit } from 'graphql';
import type {
  ASTNode,
  DocumentNode,
  FragmentDefinitionNode,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';

/**
 * Why a document always runs on graphql-js, however often it is used. Each is a cost, or a place where graphql-jit
 * 0.8 answers differently from graphql-js (found by sending the same request before and after compiling; the
 * specs test/integration/jit-*.spec.ts keep them):
 * - `too-long`, `too-many-variables`: compiling grows with the document, and with each variable more (graphql-jit
 *   generates coercion code per variable): 900 variables in one 48 KB document took about 0.5 s and kept about 19
 *   MB. Within both bounds, the costliest documents found took 20 ms and kept 0.4–0.7 MB.
 * - `nested-variable`: an optional variable left out inside an object or list literal becomes an explicit `null`
 *   (graphql-js leaves the field out, as the spec says).
 * - `nullable-default`: a nullable variable with a default, sent as an explicit `null`, reads as `false` in
 *   `@include/@skip`, and argument errors lose their path.
 * - `proto-key`: a field answered under the key `__proto__` is dropped or moved (graphql-jit builds answers as
 *   object literals).
 * - `several-root-fields`: when a non-null root field fails, graphql-jit still runs the others: a mutation's later
 *   fields (a DELETE after a failed bulk update, while the answer says `data: null`), a query's siblings (Graph
 *   calls graphql-js never makes). One root field has no siblings to differ on.
 * - `introspection`: `__schema` and `__type` selections took 40–100 ms to compile (introspection is off in
 *   production unless INTROSPECTION=true).
 */
export type CompileRefusal =
  | 'too-long'
  | 'too-many-variables'
  | 'nested-variable'
  | 'nullable-default'
  | 'proto-key'
  | 'several-root-fields'
  | 'introspection';

/** Characters of the document's text. */
export const MAX_COMPILED_DOCUMENT_LENGTH = 5_000;
/** Variable definitions in the whole document. */
export const MAX_COMPILED_VARIABLES = 10;

/** A variable whose value sits inside an object field or a list, not directly in an argument. */
function isNested(parent: ASTNode | readonly ASTNode[] | undefined): boolean {
  return Array.isArray(parent) || (parent as ASTNode | undefined)?.kind === Kind.OBJECT_FIELD;
}

/** More than one field at the operation's root, counted through its fragments. */
function hasSeveralRootFields(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  const spread = new Set<string>();
  let fields = 0;
  const count = (selectionSet: SelectionSetNode | undefined): void => {
    for (const selection of selectionSet?.selections ?? []) {
      if (fields > 1) return;
      if (selection.kind === Kind.FIELD) fields += 1;
      else if (selection.kind === Kind.INLINE_FRAGMENT) count(selection.selectionSet);
      // A fragment spread again counts as another field: stricter than needed, and never a loop.
      else if (spread.has(selection.name.value)) fields += 1;
      else {
        spread.add(selection.name.value);
        count(fragments.get(selection.name.value)?.selectionSet);
      }
    }
  };
  count(operation.selectionSet);
  return fields > 1;
}

/**
 * Why this operation of the document must not be compiled, or `null` when it may be. One walk of the document,
 * stopped early; what it checks holds for every operation of the document, which is stricter than needed.
 */
export function compileRefusal(
  document: DocumentNode,
  source: string,
  operation: OperationDefinitionNode,
): CompileRefusal | null {
  if (source.length > MAX_COMPILED_DOCUMENT_LENGTH) return 'too-long';
  if (hasSeveralRootFields(document, operation)) return 'several-root-fields';
  let variables = 0;
  let refusal: CompileRefusal | null = null;
  const refuse = (why: CompileRefusal) => {
    refusal = why;
    return BREAK;
  };
  visit(document, {
    VariableDefinition(node) {
      variables += 1;
      if (variables > MAX_COMPILED_VARIABLES) return refuse('too-many-variables');
      if (node.defaultValue && node.type.kind !== Kind.NON_NULL_TYPE)
        return refuse('nullable-default');
      return false; // its own variable and default value are not uses
    },
    Variable(_node, _key, parent) {
      return isNested(parent) ? refuse('nested-variable') : undefined;
    },
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type')
        return refuse('introspection');
      return (node.alias ?? node.name).value === '__proto__' ? refuse('proto-key') : undefined;
    },
  });
  return refusal;
}
