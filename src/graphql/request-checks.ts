import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  TypeInfo,
  ValidationContext,
  isNonNullType,
} from 'graphql';
import type {
  DocumentNode,
  GraphQLSchema,
  OperationDefinitionNode,
  ValidationRule,
  VariableNode,
} from 'graphql';
import { GatewayErrorCode } from './errors/gateway-error';

export const SUBSCRIPTIONS_REFUSED =
  'This gateway serves queries and mutations only: subscriptions are not supported.';

/**
 * Subscriptions are refused while validating (HTTP 400, GRAPHQL_VALIDATION_FAILED). The schema has no Subscription
 * type, yet graphql-js 16 validates `subscription { __typename }` and only its executor refuses it, which Apollo
 * answered as a 200 INTERNAL_SERVER_ERROR, as if the gateway had failed.
 */
export const NoSubscriptionsRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation === OperationTypeNode.SUBSCRIPTION)
      context.reportError(new GraphQLError(SUBSCRIPTIONS_REFUSED, { nodes: [node] }));
    return false;
  },
});

/** A variable declared nullable, used where the schema requires a value (allowed because a default stands by). */
export interface RequiredUse {
  readonly name: string;
  readonly node: VariableNode;
  /** The required type, as graphql-js prints it (`Boolean!`). */
  readonly type: string;
  /** The variable's own default is the literal `null`. */
  readonly nullDefault: boolean;
}

/**
 * Each variable the operation declares nullable yet uses where a non-null value is required, once (its first use).
 * GraphQL allows that when the variable or the argument has a default ("IsVariableUsageAllowed"), but an explicit
 * `null` is then no value at all: graphql-js fails the field (or, in `@include(if:)` and `@skip(if:)`, the
 * operation) only while executing it, after sibling fields may have called Graph, and with an error that carries no
 * client code. https://spec.graphql.org/October2021/#sec-All-Variable-Usages-Are-Allowed
 */
export function requiredUses(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): readonly RequiredUse[] {
  const nullable = new Map<string, boolean>();
  for (const definition of operation.variableDefinitions ?? [])
    if (definition.type.kind !== Kind.NON_NULL_TYPE)
      nullable.set(definition.variable.name.value, definition.defaultValue?.kind === Kind.NULL);
  if (nullable.size === 0) return [];
  const context = new ValidationContext(schema, document, new TypeInfo(schema), () => undefined);
  const uses = new Map<string, RequiredUse>();
  for (const { node, type } of context.getRecursiveVariableUsages(operation)) {
    const name = node.name.value;
    if (!type || !isNonNullType(type) || !nullable.has(name) || uses.has(name)) continue;
    uses.set(name, { name, node, type: String(type), nullDefault: nullable.get(name)! });
  }
  return [...uses.values()];
}

const DONE = Promise.resolve();

function isNullIn(variables: Readonly<Record<string, unknown>> | undefined, use: RequiredUse) {
  return variables && Object.hasOwn(variables, use.name)
    ? variables[use.name] === null
    : use.nullDefault;
}

/** The refusal: a client error (400 BAD_USER_INPUT), before execution, so nothing reaches Graph. */
export function nullVariableError(use: RequiredUse): GraphQLError {
  return new GraphQLError(
    `Variable "$${use.name}" must not be null: the document uses it where a value of type "${use.type}" is required.`,
    {
      nodes: [use.node],
      extensions: { code: GatewayErrorCode.BAD_USER_INPUT, http: { status: 400 } },
    },
  );
}

/**
 * Refuses a request whose variables hold `null` where the operation needs a value, before anything executes. What
 * each operation requires is worked out once per parsed document (Apollo keeps parsed documents, so a document in
 * steady use costs a WeakMap lookup); most operations require nothing and are let through at once.
 */
export function createRequiredVariablesPlugin(): ApolloServerPlugin<BaseContext> {
  const known = new WeakMap<OperationDefinitionNode, readonly RequiredUse[]>();
  const listener: GraphQLRequestListener<BaseContext> = {
    didResolveOperation({ schema, document, operation, request }) {
      // No operation: an operation name the document does not define; graphql-js answers it (400).
      if (!operation) return DONE;
      let uses = known.get(operation);
      if (!uses) known.set(operation, (uses = requiredUses(schema, document, operation)));
      const refused = uses.find((use) => isNullIn(request.variables, use));
      return refused ? Promise.reject(nullVariableError(refused)) : DONE;
    },
  };
  const started = Promise.resolve(listener);
  return { requestDidStart: () => started };
}
