import { GraphQLError, Kind } from 'graphql';
import type { Env, EnvReaders } from './persisted/settings';
import type {
  ASTNode,
  ASTVisitor,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  OperationDefinitionNode,
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
  /** Lexical tokens of the document (names, punctuation, values; not comments): graphql-js stops parsing past it. */
  readonly maxTokens: number;
  /** Depth of the deepest field under `__schema` or `__type`, counted from the operation's root. */
  readonly maxIntrospectionDepth: number;
  /** Fields under `__schema` and `__type`, counted apart from `maxFields` (aliases share `maxAliases`). */
  readonly maxIntrospectionFields: number;
}

/**
 * The introspection defaults fit the query GraphiQL 5 sends (`getIntrospectionQuery({ inputValueDeprecation: true,
 * schemaDescription: true })`: 15 levels, 227 fields counted at each spread) and the one with every option on (230
 * fields), with room to spare. What multiplies an introspection answer is aliases (graphql-js's own
 * MaxIntrospectionDepthRule already caps nested lists such as `fields { type { fields … } }` at 3), and those share
 * `maxAliases` with the rest of the operation.
 */
export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 10,
  maxAliases: 50,
  maxFields: 200,
  maxDocumentLength: 50_000,
  maxTokens: 3_000,
  maxIntrospectionDepth: 20,
  maxIntrospectionFields: 500,
};

/**
 * Operations and fragments one document may define, and variables it may declare: graphql-js's rules work through
 * each operation apart (about 10 ms for 1,000 one-field operations, within the token limit) and each variable
 * (about 10 ms for 1,000); no client of this API needs more than a few. Fixed.
 */
export const MAX_DEFINITIONS = 50;
export const MAX_VARIABLES = 100;

/**
 * Validation errors reported before graphql-js gives up on a document (its `maxErrors`, 100 by default): each
 * error of a hostile document costs its message, its locations and, for unknown names, suggestions to compute.
 */
export const MAX_VALIDATION_ERRORS = 10;

/** What a selection costs. Depths are relative to where the selection sits. */
interface Cost {
  fields: number;
  aliases: number;
  depth: number;
  introspectionFields: number;
  introspectionDepth: number;
}

const ZERO: Readonly<Cost> = {
  fields: 0,
  aliases: 0,
  depth: 0,
  introspectionFields: 0,
  introspectionDepth: 0,
};

/** The root fields of introspection; everything below them is introspection too. */
const INTROSPECTION_ROOTS: ReadonlySet<string> = new Set(['__schema', '__type']);

/**
 * Whether a cost is over the limits wherever it ends up: a fragment's plain fields become introspection fields when
 * it is spread under `__schema`, so plain fields and depth stop the measuring only past both of their limits.
 */
function isOverAnywhere(cost: Cost, limits: QueryLimits): boolean {
  return (
    cost.fields > Math.max(limits.maxFields, limits.maxIntrospectionFields) ||
    cost.depth > Math.max(limits.maxDepth, limits.maxIntrospectionDepth) ||
    cost.aliases > limits.maxAliases ||
    cost.introspectionFields > limits.maxIntrospectionFields ||
    cost.introspectionDepth > limits.maxIntrospectionDepth
  );
}

function add(total: Cost, part: Cost): void {
  total.fields += part.fields;
  total.aliases += part.aliases;
  total.depth = Math.max(total.depth, part.depth);
  total.introspectionFields += part.introspectionFields;
  total.introspectionDepth = Math.max(total.introspectionDepth, part.introspectionDepth);
}

/**
 * Measures selections with fragments spread in place, as execution would, so a fragment spread 100 times counts
 * 100 times. Each fragment is measured once per document and its cost reused at every spread: a chain of fragments
 * that each spread the next twice costs one pass over the text, not 2^n. Measuring stops as soon as a cost passes
 * the limits wherever it is used (a cost only grows, so any spread of it is over too). A fragment already being
 * measured (a cycle, which NoFragmentCyclesRule reports itself) costs nothing.
 */
function createMeter(fragments: ReadonlyMap<string, FragmentDefinitionNode>, limits: QueryLimits) {
  const measured = new Map<string, Cost>();
  const inProgress = new Set<string>();

  const fragmentCost = (name: string): Cost => {
    const known = measured.get(name);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment || inProgress.has(name)) return ZERO;
    inProgress.add(name);
    const cost = selectionCost(fragment.selectionSet);
    inProgress.delete(name);
    measured.set(name, cost);
    return cost;
  };

  const fieldCost = (field: FieldNode): Cost => {
    const below = field.selectionSet ? selectionCost(field.selectionSet) : ZERO;
    const aliases = (field.alias ? 1 : 0) + below.aliases;
    if (!INTROSPECTION_ROOTS.has(field.name.value))
      return {
        fields: below.fields + 1,
        aliases,
        depth: below.depth + 1,
        introspectionFields: below.introspectionFields,
        introspectionDepth: below.introspectionDepth && below.introspectionDepth + 1,
      };
    return {
      fields: 0,
      aliases,
      depth: 0,
      introspectionFields: 1 + below.fields + below.introspectionFields,
      introspectionDepth: 1 + Math.max(below.depth, below.introspectionDepth),
    };
  };

  function selectionCost(selectionSet: SelectionSetNode): Cost {
    const total: Cost = { ...ZERO };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) add(total, fieldCost(selection));
      else if (selection.kind === Kind.INLINE_FRAGMENT)
        add(total, selectionCost(selection.selectionSet));
      else add(total, fragmentCost(selection.name.value));
      if (isOverAnywhere(total, limits)) break;
    }
    return total;
  }

  return selectionCost;
}

function problems(cost: Cost, limits: QueryLimits): string[] {
  return [
    cost.depth > limits.maxDepth
      ? `is nested ${cost.depth} levels deep (at most ${limits.maxDepth})`
      : '',
    cost.aliases > limits.maxAliases ? `uses more than ${limits.maxAliases} aliases` : '',
    cost.fields > limits.maxFields ? `selects more than ${limits.maxFields} fields` : '',
    cost.introspectionDepth > limits.maxIntrospectionDepth
      ? `introspects ${cost.introspectionDepth} levels deep (at most ${limits.maxIntrospectionDepth})`
      : '',
    cost.introspectionFields > limits.maxIntrospectionFields
      ? `introspects more than ${limits.maxIntrospectionFields} fields`
      : '',
  ].filter(Boolean);
}

/**
 * A validation rule that refuses documents with too many definitions or variables, and operations deeper, wider or
 * more aliased than the limits, and then stops all of validation. It measures the whole document as validation
 * enters it (one linear pass, fragments measured once), before any other rule has looked past the document's top
 * level; a document over a limit is answered with that alone. Without the stop, graphql-js's own rules went on through the refused document: comparing thousands of
 * same-named fields (OverlappingFieldsCanBeMergedRule) took 30–90 ms of CPU for one 50 KB document.
 *
 * How it stops: Apollo Server runs its `validationRules` after graphql-js's, all in one parallel visit
 * (`visitInParallel`). A visitor's `enter` returning `null` is an edit, deleting the node, and "if a prior visitor
 * edits a node, no following visitors will see that node": the document's contents are visited by no rule.
 * https://github.com/graphql/graphql-js/blob/16.x.x/src/language/visitor.ts (visit, visitInParallel)
 */
export function createQueryLimitsRule(limits: QueryLimits = DEFAULT_QUERY_LIMITS): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    Document(document) {
      const refusals = documentProblems(document, limits);
      for (const { message, node } of refusals)
        context.reportError(new GraphQLError(message, { nodes: [node] }));
      return refusals.length > 0 ? null : undefined;
    },
  });
}

interface Refusal {
  readonly message: string;
  readonly node: ASTNode;
}

/** Too many definitions or variables (the first one too many is named); else each operation over a limit. */
function documentProblems(document: DocumentNode, limits: QueryLimits): Refusal[] {
  const { definitions } = document;
  const extraDefinition = definitions[MAX_DEFINITIONS];
  if (extraDefinition)
    return [
      {
        message: `The document defines more than ${MAX_DEFINITIONS} operations and fragments.`,
        node: extraDefinition,
      },
    ];
  const operations = definitions.filter(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION,
  );
  const extraVariable = operations.flatMap((operation) => operation.variableDefinitions ?? [])[
    MAX_VARIABLES
  ];
  if (extraVariable)
    return [
      {
        message: `The document declares more than ${MAX_VARIABLES} variables.`,
        node: extraVariable,
      },
    ];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  const measure = createMeter(fragments, limits);
  return operations.flatMap((operation) => {
    const found = problems(measure(operation.selectionSet), limits);
    return found.length > 0
      ? [{ message: `The operation ${found.join(' and ')}.`, node: operation }]
      : [];
  });
}

/** The limits from the environment (GRAPHQL_MAX_*), read with config.ts's reader, which names a bad variable. */
export function readQueryLimits(env: Env, { integer }: Pick<EnvReaders, 'integer'>): QueryLimits {
  return Object.freeze({
    maxDepth: integer(env, 'GRAPHQL_MAX_DEPTH', DEFAULT_QUERY_LIMITS.maxDepth, 1, 100),
    maxAliases: integer(env, 'GRAPHQL_MAX_ALIASES', DEFAULT_QUERY_LIMITS.maxAliases, 0, 10_000),
    maxFields: integer(env, 'GRAPHQL_MAX_FIELDS', DEFAULT_QUERY_LIMITS.maxFields, 1, 100_000),
    maxDocumentLength: integer(
      env,
      'GRAPHQL_MAX_DOCUMENT_LENGTH',
      DEFAULT_QUERY_LIMITS.maxDocumentLength,
      100,
      1_000_000,
    ),
    maxTokens: integer(env, 'GRAPHQL_MAX_TOKENS', DEFAULT_QUERY_LIMITS.maxTokens, 100, 1_000_000),
    maxIntrospectionDepth: integer(
      env,
      'GRAPHQL_MAX_INTROSPECTION_DEPTH',
      DEFAULT_QUERY_LIMITS.maxIntrospectionDepth,
      1,
      100,
    ),
    maxIntrospectionFields: integer(
      env,
      'GRAPHQL_MAX_INTROSPECTION_FIELDS',
      DEFAULT_QUERY_LIMITS.maxIntrospectionFields,
      1,
      100_000,
    ),
  });
}
