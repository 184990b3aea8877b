import { context as otelContext, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApolloServer } from '@apollo/server';
import { createApolloHandler } from './apollo-handler';
import type { ApolloRouteHandler } from './apollo-handler';
import type { JsonBounds } from './json-bounds';
import { MAX_DOCUMENT_NESTING, documentNestingExceeds } from './document-nesting';
import { graphqlErrorReply } from './http-errors';
import { registerPersistedDocuments } from './persisted-documents';
import { registerSearchParameterCheck } from './search-parameters';
import type { PersistedRouteOptions } from './persisted-documents';
import { createRequestState } from '../graphql/context';
import type { ContextInput, GatewayContext, RequestState } from '../graphql/context';
import { recordDocumentId } from '../observability/request-summary';
import { callerContext, endSpan, isTracing, startOperationSpan } from '../observability/tracing';

declare module 'fastify' {
  interface FastifyRequest {
    /** Per-request state of a GraphQL request, built once in the route handler; null on other routes. */
    gateway: RequestState | null;
  }
}

export interface GraphqlRouteOptions {
  readonly apollo: ApolloServer<GatewayContext>;
  readonly createContext: (input: ContextInput) => GatewayContext;
  /** Documents longer than this are refused before they are parsed. */
  readonly maxDocumentLength: number;
  /** What a GET's `variables` and `extensions` may hold, as a POST body (src/server/json-bounds.ts). */
  readonly jsonBounds: JsonBounds;
  /** Automatic persisted queries and trusted documents, resolved before the guards and Apollo. */
  readonly persisted: PersistedRouteOptions;
}

/** The document's text, wherever the request carries it (POST body or GET query string). */
function documentText(request: FastifyRequest): unknown {
  const source = request.method === 'GET' ? request.query : request.body;
  return typeof source === 'object' && source !== null
    ? (source as { query?: unknown }).query
    : undefined;
}

/** Documents over the length limit, or nested deeper than the parser can take, are refused before parsing. */
function registerDocumentGuards(scope: FastifyInstance, maxLength: number) {
  scope.addHook('preHandler', (request, reply, done) => {
    const text = documentText(request);
    if (typeof text !== 'string') return done();
    const problem =
      text.length > maxLength
        ? `The document is longer than ${maxLength} characters.`
        : documentNestingExceeds(text)
          ? `The document is nested more than ${MAX_DOCUMENT_NESTING} levels deep.`
          : null;
    if (!problem) return done();
    // Answered here: Fastify goes no further when a callback hook sends without calling `done`.
    graphqlErrorReply(reply, 400, 'GRAPHQL_VALIDATION_FAILED', problem);
  });
}

/**
 * `/graphql` as one encapsulated plugin: the request's state (read once: its token, its summary, its span when
 * tracing), the guards that run before parsing, Apollo, and the end of the operation. Its hooks apply to this
 * route only.
 */
export async function registerGraphqlRoute(
  app: FastifyInstance,
  options: GraphqlRouteOptions,
): Promise<void> {
  const { apollo } = options;
  const handler = createGraphqlHandler(options);
  await app.register((scope, _options, done) => {
    scope.decorateRequest('gateway', null);
    // Hooks run in this order: what a GET names is unambiguous before anything reads it.
    registerSearchParameterCheck(scope, options.jsonBounds);
    registerPersistedDocuments(scope, options.persisted);
    registerDocumentGuards(scope, options.maxDocumentLength);
    // Callback-style: an async hook costs a promise and a microtask turn on every request.
    scope.addHook('onResponse', (request, _reply, done) => {
      const state = request.gateway;
      if (state?.span) endSpan(state.span, state.summary.errorCodes[0] ?? null);
      done();
    });
    scope.addHook('onClose', () => apollo.stop());
    registerGraphqlEndpoint(scope, handler);
    done();
  });
}

/** Apollo's handler, with each operation's context built from the request's state. */
function createGraphqlHandler(options: GraphqlRouteOptions): ApolloRouteHandler {
  const { apollo, createContext } = options;
  return createApolloHandler(apollo, {
    context: async (request, reply) => {
      const state = request.gateway ?? createRequestState(request.raw);
      const context = createContext({ state, log: request.log });
      // The operation ends with its response, or as soon as its client goes away: its upstream calls and waits
      // are cancelled and its deadline timer cleared.
      reply.raw.once('close', () => context.graph.end());
      return context;
    },
    replacement: (request) => request.persistedDocument?.replacement,
  });
}

/** The route itself: the request's state, then Apollo, inside the request's span when tracing. */
function registerGraphqlEndpoint(scope: FastifyInstance, handler: ApolloRouteHandler): void {
  scope.route<{ Reply: string }>({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    handler(request, reply) {
      const named = request.persistedDocument;
      if (!isTracing()) {
        request.gateway = createRequestState(request.raw);
        if (named) recordDocumentId(request.gateway.summary, named.id);
        return handler.call(this, request, reply);
      }
      // The request's span continues the caller's W3C trace; upstream calls become its children.
      const parent = callerContext(request.headers);
      const span = startOperationSpan(parent);
      request.gateway = createRequestState(request.raw, span);
      if (named) recordDocumentId(request.gateway.summary, named.id);
      return otelContext.with(trace.setSpan(parent, span), () =>
        handler.call(this, request, reply),
      );
    },
  });
}
