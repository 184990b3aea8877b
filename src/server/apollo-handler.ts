/**
 * Fastify → Apollo Server, through Apollo's integration API (`executeHTTPGraphQLRequest`,
 * https://www.apollographql.com/docs/apollo-server/integrations/building-integrations). It does what
 * `@as-integrations/fastify`'s handler does, without its per-request `new URL()` (built only to read the query
 * string, which is the request line after its `?`) and `Object.entries` copy of the headers.
 */
import { Readable } from 'node:stream';
import { HeaderMap } from '@apollo/server';
import type { ApolloServer, BaseContext, HTTPGraphQLRequest } from '@apollo/server';
import type {
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteHandlerMethod,
} from 'fastify';

/** Apollo answers with a string (or a stream sent through the reply). */
export type ApolloRouteHandler = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  { Reply: string }
>;

/** What Apollo reads instead of a request's own body and query string. */
export interface GraphqlRequestReplacement {
  readonly body: unknown;
  /** With its `?`, as `searchOf` gives it. */
  readonly search: string;
}

export interface ApolloHandlerOptions<Context extends BaseContext> {
  readonly context: (request: FastifyRequest, reply: FastifyReply) => Promise<Context>;
  /** A hook before Apollo replaced the request (a trusted document named by its id); undefined: the request's own. */
  readonly replacement?: (request: FastifyRequest) => GraphqlRequestReplacement | undefined;
}

/**
 * Node's header names are lower-case already; repeated ones are joined as HTTP folds them. Empty values pass as
 * sent (as `@as-integrations/fastify` passed them): what an empty header means is Apollo's to decide.
 */
function headerMap(headers: FastifyRequest['headers']): HeaderMap {
  const map = new HeaderMap();
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) map.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return map;
}

/**
 * The query string with its `?` (as `URL.search` gives it), or '' when there is none. A fragment ends it: clients
 * never send one, but a hand-written request line may, and `#` would otherwise reach the document as a comment.
 */
export function searchOf(url: string): string {
  const hash = url.indexOf('#');
  const end = hash === -1 ? url.length : hash;
  const at = url.indexOf('?');
  return at === -1 || at >= end - 1 ? '' : url.slice(at, end);
}

function toGraphQLRequest(
  request: FastifyRequest,
  replacement: GraphqlRequestReplacement | undefined,
): HTTPGraphQLRequest {
  return {
    body: replacement ? replacement.body : request.body,
    method: request.method.toUpperCase(),
    headers: headerMap(request.headers),
    search: replacement ? replacement.search : searchOf(request.url),
  };
}

/** The route handler: Apollo's answer as Fastify's reply (status, headers, then the body or its stream). */
export function createApolloHandler<Context extends BaseContext>(
  apollo: ApolloServer<Context>,
  options: ApolloHandlerOptions<Context>,
): ApolloRouteHandler {
  apollo.assertStarted('createApolloHandler()');
  return async (request, reply) => {
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: toGraphQLRequest(request, options.replacement?.(request)),
      context: () => options.context(request, reply),
    });
    for (const [name, value] of response.headers) void reply.header(name, value);
    void reply.code(response.status ?? 200);
    if (response.body.kind === 'complete') return response.body.string;
    return reply.send(Readable.from(response.body.asyncIterator) as unknown as string);
  };
}
