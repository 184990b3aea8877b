/**
 * MAX_BULK_INPUTS per operation, not per field: the items one operation sends to Graph in bulk, counted across all of
 * its root fields (aliases and fragments included) before anything executes. Counted: the inputs of every
 * `updateDeviceConfigurationUserStatuses` and, in a subgraph, the representations of every `_entities`. Without it,
 * 50 aliases of a 100-input bulk update were 5,000 writes in one request, and `_entities` took any number of
 * representations, each a Graph read.
 *
 * Why a plugin at `didResolveOperation` and not a validation rule: the count depends on the variables (a `$inputs`
 * list), which validation never sees, and Apollo caches a document's validation across requests. Here both the parsed
 * operation and the request's variables are at hand, and nothing has executed yet.
 */
import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getDirectiveValues,
  isUnionType,
  valueFromASTUntyped,
} from 'graphql';
import type {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionNode,
  SelectionSetNode,
} from 'graphql';
import { GatewayError, GatewayErrorCode } from './errors/gateway-error';

/** The root fields whose list argument goes to Graph item by item, with that argument's name. */
const BULK_ARGUMENTS: ReadonlyMap<string, string> = new Map([
  ['updateDeviceConfigurationUserStatuses', 'inputs'],
  ['_entities', 'representations'],
]);

type Variables = Readonly<Record<string, unknown>>;

/** Whether graphql-js will execute the selection (its `shouldIncludeNode`); a value it cannot read counts it in. */
function isIncluded(node: SelectionNode, variables: Variables): boolean {
  try {
    if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
  } catch {
    return true;
  }
}

interface Walk {
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly variables: Variables;
  /** By response key: fields of one key are merged by graphql-js and execute once. */
  readonly fields: Map<string, FieldNode>;
  /** Each fragment is spread once per selection set, as graphql-js's collectFields does. */
  readonly spread: Set<string>;
}

/** The root fields the operation executes, fragments spread and inlined, @skip and @include honoured. */
function collectRootFields(selectionSet: SelectionSetNode, walk: Walk): void {
  for (const selection of selectionSet.selections) {
    if (!isIncluded(selection, walk.variables)) continue;
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      if (!walk.fields.has(key)) walk.fields.set(key, selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collectRootFields(selection.selectionSet, walk);
    } else {
      const fragment = walk.fragments.get(selection.name.value);
      if (!fragment || walk.spread.has(fragment.name.value)) continue;
      walk.spread.add(fragment.name.value);
      collectRootFields(fragment.selectionSet, walk);
    }
  }
}

/** The items of a list argument as the executor will coerce it: a single value is a list of one, null none. */
function itemsOf(field: FieldNode, argument: string, variables: Variables): readonly unknown[] {
  const node = field.arguments?.find((candidate) => candidate.name.value === argument);
  if (!node) return [];
  const value = valueFromASTUntyped(node.value, variables);
  if (Array.isArray(value)) return value as unknown[];
  return value === null || value === undefined ? [] : [value];
}

/** The entity types a representation may name: the members of `_Entity` (none outside a subgraph). */
const entityNamesBySchema = new WeakMap<GraphQLSchema, ReadonlySet<string>>();
function entityNames(schema: GraphQLSchema): ReadonlySet<string> {
  let names = entityNamesBySchema.get(schema);
  if (names) return names;
  const union = schema.getType('_Entity');
  names = new Set(isUnionType(union) ? union.getTypes().map((type) => type.name) : []);
  entityNamesBySchema.set(schema, names);
  return names;
}

const refusal = (message: string, extensions: Readonly<Record<string, unknown>>) =>
  new GatewayError(GatewayErrorCode.BAD_USER_INPUT, message, {
    extensions: { ...extensions, http: { status: 400 } },
  });

/**
 * A representation @apollo/subgraph could not even route to a `__resolveReference` (not an object, or no entity's
 * `__typename`) fails the whole `_entities` field with an internal error there: it is the caller's mistake, said as
 * such. Key fields and ids are checked per representation by the entity's own resolver (resolvers.ts).
 */
function representationProblem(
  representations: readonly unknown[],
  entities: ReadonlySet<string>,
): GatewayError | null {
  const index = representations.findIndex((representation) => {
    if (typeof representation !== 'object' || representation === null) return true;
    const name = (representation as { __typename?: unknown }).__typename;
    return typeof name !== 'string' || !entities.has(name);
  });
  if (index === -1) return null;
  const names = [...entities].map((name) => `"${name}"`).join(', ');
  return refusal(
    `representations[${index}] must be an object whose __typename names an entity of this subgraph: ${names}.`,
    { argument: 'representations', index },
  );
}

export interface BulkRequest {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly variables: Variables;
}

/** Why the operation may not run: too many bulk items in all, or a representation no entity can take. */
export function bulkInputsProblem(request: BulkRequest, maxInputs: number): GatewayError | null {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of request.document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  const walk: Walk = {
    fragments,
    variables: request.variables,
    fields: new Map(),
    spread: new Set(),
  };
  collectRootFields(request.operation.selectionSet, walk);
  let total = 0;
  const representationLists: Array<readonly unknown[]> = [];
  for (const field of walk.fields.values()) {
    const argument = BULK_ARGUMENTS.get(field.name.value);
    if (!argument) continue;
    const items = itemsOf(field, argument, request.variables);
    total += items.length;
    if (field.name.value === '_entities') representationLists.push(items);
  }
  if (total > maxInputs)
    return refusal(
      `The operation sends ${total} items to Graph in bulk (the inputs of every updateDeviceConfigurationUserStatuses and the representations of _entities, aliases and fragments included); at most ${maxInputs} are allowed (MAX_BULK_INPUTS).`,
      { limit: 'MAX_BULK_INPUTS' },
    );
  const entities = representationLists.length > 0 ? entityNames(request.schema) : new Set<string>();
  for (const representations of representationLists) {
    const problem = representationProblem(representations, entities);
    if (problem) return problem;
  }
  return null;
}

const DONE = Promise.resolve();

/** Refuses, before execution (HTTP 400, BAD_USER_INPUT), an operation over MAX_BULK_INPUTS in all. */
export function createBulkInputsPlugin(maxInputs: number): ApolloServerPlugin<BaseContext> {
  const listener: GraphQLRequestListener<BaseContext> = {
    didResolveOperation({ schema, document, operation, request }) {
      // No operation: an operation name the document does not define; graphql-js answers it (400).
      if (!operation) return DONE;
      const variables = request.variables ?? {};
      const problem = bulkInputsProblem({ schema, document, operation, variables }, maxInputs);
      return problem ? Promise.reject(problem) : DONE;
    },
  };
  const started = Promise.resolve(listener);
  return { requestDidStart: () => started };
}
