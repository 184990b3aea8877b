import { BREAK, Kind, visit } from 'graphql';
import type { ASTNode, DocumentNode } from 'graphql';

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
 */
export type CompileRefusal =
  'too-long' | 'too-many-variables' | 'nested-variable' | 'nullable-default' | 'proto-key';

/** Characters of the document's text. */
export const MAX_COMPILED_DOCUMENT_LENGTH = 5_000;
/** Variable definitions in the whole document. */
export const MAX_COMPILED_VARIABLES = 10;

/** A variable whose value sits inside an object field or a list, not directly in an argument. */
function isNested(parent: ASTNode | readonly ASTNode[] | undefined): boolean {
  return Array.isArray(parent) || (parent as ASTNode | undefined)?.kind === Kind.OBJECT_FIELD;
}

/** Why this document must not be compiled, or `null` when it may be. One walk of the document, stopped early. */
export function compileRefusal(document: DocumentNode, source: string): CompileRefusal | null {
  if (source.length > MAX_COMPILED_DOCUMENT_LENGTH) return 'too-long';
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
      return (node.alias ?? node.name).value === '__proto__' ? refuse('proto-key') : undefined;
    },
  });
  return refusal;
}
