import path from 'node:path';
import { execute, getOperationAST, parse, validate } from 'graphql';
import type {
  DocumentNode,
  ExecutionResult,
  GraphQLError,
  GraphQLFormattedError,
  GraphQLSchema,
} from 'graphql';
import type * as GraphqlTools from '@graphql-tools/schema';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../src/config';
import { createGraphService, createHttpTransport, createListSupport } from '../../src/graph';
import type { GraphService } from '../../src/graph';
import { schemaDefinition } from '../../src/graphql/apollo';
import { createContextFactory, createRequestState } from '../../src/graphql/context';
import { createErrorFormatter } from '../../src/graphql/errors/format-error';
import { createMetrics } from '../../src/observability/metrics';
import { USER_AGENT } from '../../src/version';

/**
 * The differential test's reference: graphql-js's `validate` and `execute` in this process, on the gateway's
 * schema and resolvers, with a Graph service of its own in front of the same emulator. The schema is built as
 * Apollo Server builds it from `typeDefs` + `resolvers`: `schemaDefinition()` (what src/graphql/apollo.ts hands
 * Apollo) through the `makeExecutableSchema` of Apollo Server's own @graphql-tools/schema.
 *
 * Its answer is put in the HTTP form Apollo Server 5 gives a graphql-js result, as its request pipeline does:
 * parse and validation errors (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED), an operation it cannot resolve
 * (OPERATION_RESOLUTION_FAILURE) and variables that do not coerce (BAD_USER_INPUT) answer 400 with the errors
 * alone; an executed operation answers 200 with `{ errors?, data }`. Every error gets a code (INTERNAL_SERVER_ERROR
 * when it has none) and goes through the gateway's `formatError`, as Apollo does (requestPipeline.ts,
 * errorNormalize.ts in @apollo/server).
 */
export interface ReferenceRequest {
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  readonly operationName?: string;
  readonly headers: Record<string, string>;
}

/** How far graphql-js went with the request. */
export type Stage = 'parse' | 'validation' | 'resolution' | 'coercion' | 'executed';

export interface ReferenceAnswer {
  readonly status: number;
  readonly text: string;
  readonly stage: Stage;
}

export interface Reference {
  readonly schema: GraphQLSchema;
  run(request: ReferenceRequest): Promise<ReferenceAnswer>;
  close(): Promise<void>;
}

/** The makeExecutableSchema Apollo Server calls (its own dependency, whatever copy the root holds). */
function apolloSchema(): GraphQLSchema {
  const apolloServer = path.dirname(require.resolve('@apollo/server'));
  const tools = require.resolve('@graphql-tools/schema', { paths: [apolloServer] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { makeExecutableSchema } = require(tools) as typeof GraphqlTools;
  return makeExecutableSchema(schemaDefinition() as Parameters<typeof makeExecutableSchema>[0]);
}

type Formatted = GraphQLFormattedError;

export function createReference(config: Config): Reference {
  const schema = apolloSchema();
  const answers = createAnswerForms(createErrorFormatter(config));
  const graph = createReferenceGraph(config);
  const metrics = createMetrics();
  const createContext = createContextFactory({
    graph,
    listSupport: createListSupport(),
    metrics,
    deadlineMs: config.graphDeadlineMs,
  });
  const executed = createExecuted(schema, createContext, answers);
  const { refused } = answers;
  return {
    schema,
    async run(request) {
      let document: DocumentNode;
      try {
        document = parse(request.query);
      } catch (error) {
        return refused('parse', [error as GraphQLError], 'GRAPHQL_PARSE_FAILED');
      }
      const invalid = validate(schema, document);
      if (invalid.length > 0) return refused('validation', invalid, 'GRAPHQL_VALIDATION_FAILED');
      return executed(document, request);
    },
    close: () => {
      metrics.close();
      return graph.close();
    },
  };
}

/** A Graph service of the reference's own, set as the gateway sets its own. */
function createReferenceGraph(config: Config): GraphService {
  return createGraphService({
    baseUrl: config.graphBaseUrl,
    timeoutMs: config.graphTimeoutMs,
    userAgent: USER_AGENT,
    retry: {
      maxRetries: config.graphMaxRetries,
      maxDelayMs: config.graphMaxRetryDelayMs,
      baseDelayMs: config.graphRetryBaseDelayMs,
    },
    transport: createHttpTransport({ maxResponseBytes: config.graphMaxResponseBytes }),
  });
}

/** The reference's answers in Apollo's HTTP form: one error formatted, and a request refused before execution. */
interface AnswerForms {
  readonly format: (error: GraphQLError, code?: string, kept?: boolean) => Formatted;
  readonly refused: (
    stage: Stage,
    errors: readonly GraphQLError[],
    code: string,
    kept?: boolean,
  ) => ReferenceAnswer;
}

function createAnswerForms(formatError: ReturnType<typeof createErrorFormatter>): AnswerForms {
  /**
   * As Apollo's error classes and enrichError: `code` replaces the error's own (parse, validation, operation
   * resolution) or, `kept`, only stands in when it has none (variable coercion); then the gateway's formatError.
   */
  const format = (error: GraphQLError, code = 'INTERNAL_SERVER_ERROR', kept = true): Formatted => {
    const own = error.extensions.code as string | undefined;
    const extensions = { ...error.extensions, code: kept ? (own ?? code) : code };
    return formatError({ ...error.toJSON(), extensions }, error);
  };
  const refused = (
    stage: Stage,
    errors: readonly GraphQLError[],
    code: string,
    kept = false,
  ): ReferenceAnswer => ({
    stage,
    status: 400,
    text: `${JSON.stringify({ errors: errors.map((error) => format(error, code, kept)) })}\n`,
  });
  return { format, refused };
}

/** The execution of a valid document, answered as Apollo answers graphql-js's result. */
function createExecuted(
  schema: GraphQLSchema,
  createContext: ReturnType<typeof createContextFactory>,
  { format, refused }: AnswerForms,
): (document: DocumentNode, request: ReferenceRequest) => Promise<ReferenceAnswer> {
  const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
  return async function executed(document, request) {
    const context = createContext({ state: createRequestState(request), log });
    let result: ExecutionResult;
    try {
      result = await execute({
        schema,
        document,
        contextValue: context,
        variableValues: request.variables ?? null,
        operationName: request.operationName ?? null,
      });
    } finally {
      context.graph.end();
    }
    if (!getOperationAST(document, request.operationName))
      return refused('resolution', result.errors ?? [], 'OPERATION_RESOLUTION_FAILURE');
    if (!('data' in result))
      return refused('coercion', result.errors ?? [], 'BAD_USER_INPUT', true);
    const errors = result.errors?.map((error) => format(error));
    return { stage: 'executed', status: 200, text: `${JSON.stringify({ ...result, errors })}\n` };
  };
}
