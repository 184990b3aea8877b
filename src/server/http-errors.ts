import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jsonBoundsProblem } from './json-bounds';
import type { JsonBounds } from './json-bounds';

/** A GraphQL-shaped error answer, for requests refused before Apollo reads them. */
export function graphqlErrorReply(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send({ errors: [{ message, extensions: { code } }] });
}

/** The media type of a Content-Type header, without parameters, lowercased; null without one. */
export function mediaType(header: string | undefined): string | null {
  // What nearly every client sends, on every request: taken as it is, without splitting it.
  if (header === 'application/json') return header;
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type ? type : null;
}

interface RequestError {
  readonly statusCode?: number;
  readonly code?: string;
  readonly message?: string;
}

/** The code of the JSON body parser's refusal of a body over its bounds; the error's message says which. */
const JSON_OVER_BOUNDS = 'GATEWAY_JSON_OVER_BOUNDS';

/** What a client sent wrong, in words that name it; null when Fastify's status alone must do. */
function describe(error: RequestError, maxBodyBytes: number): [number, string, string] | null {
  if (error.statusCode === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return [413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBodyBytes} bytes.`];
  if (error.code === JSON_OVER_BOUNDS) return [400, 'BAD_REQUEST', error.message ?? ''];
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
    return [400, 'BAD_REQUEST', 'The body is not valid JSON (or it holds a "__proto__" key).'];
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return [400, 'BAD_REQUEST', 'The body is empty: send a JSON object with a "query".'];
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return [415, 'BAD_REQUEST', 'Content-Type must be application/json.'];
  return null;
}

/**
 * Fastify's JSON parser (the same `secure-json-parse`, the same refusals of empty bodies and `__proto__` keys),
 * behind one pass over the body's text that refuses JSON nested too deep or holding too many values
 * (src/server/json-bounds.ts): `JSON.parse` runs before any hook of the route could look at the body, and its cost
 * follows what it builds, not the bytes. Registered on the root, so every route's JSON bodies pass it. The body of a
 * request to no route is not parsed at all: Fastify would, before answering 404, and nothing reads it.
 */
function registerJsonBodyParser(app: FastifyInstance, bounds: JsonBounds): void {
  const parse = app.getDefaultJsonParser(
    app.initialConfig.onProtoPoisoning ?? 'error',
    app.initialConfig.onConstructorPoisoning ?? 'error',
  );
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (request.is404) return done(null, undefined);
    // `parseAs: 'string'`: Fastify's types still say string or Buffer.
    const text = body as string;
    const problem = jsonBoundsProblem('The body', text, bounds);
    if (!problem) return parse(request, text, done);
    done(Object.assign(new Error(problem), { statusCode: 400, code: JSON_OVER_BOUNDS }), undefined);
  });
}

export interface HttpErrorOptions {
  readonly maxBodyBytes: number;
  /** What a JSON body may hold (src/server/json-bounds.ts). */
  readonly jsonBounds: JsonBounds;
}

/**
 * Requests that cannot be read get an answer that names the problem, in GraphQL's error shape. A POST to
 * `/graphql` must be `application/json` (GraphQL over HTTP's one required media type): anything else is 415 before
 * the body is read, which also refuses the simple requests (`text/plain`, forms) that CSRF prevention exists for.
 * https://graphql.github.io/graphql-over-http/draft/#sec-POST
 */
export function registerHttpErrors(app: FastifyInstance, options: HttpErrorOptions): void {
  registerJsonBodyParser(app, options.jsonBounds);
  // Callback style: an async hook costs a promise and a microtask turn on every request. Sending without calling
  // `done` answers here.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (request.method !== 'POST' || request.routeOptions.url !== '/graphql') return done();
    const type = mediaType(request.headers['content-type']);
    if (type === 'application/json') return done();
    graphqlErrorReply(
      reply,
      415,
      'BAD_REQUEST',
      type
        ? `Content-Type must be application/json, got ${type}.`
        : 'Content-Type must be application/json; the request has none.',
    );
  });

  app.setErrorHandler((error: RequestError, request, reply) => {
    const known = describe(error, options.maxBodyBytes);
    if (known) return graphqlErrorReply(reply, ...known);
    if (error.statusCode && error.statusCode < 500)
      return graphqlErrorReply(
        reply,
        error.statusCode,
        'BAD_REQUEST',
        'The request could not be read.',
      );
    request.log.error({ err: error }, 'request failed');
    return graphqlErrorReply(reply, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  });
}

/**
 * An unknown route is answered without repeating its URL: Fastify's default ("Route GET:/x?token=… not found")
 * reflects the query string, which may hold what a caller put there by mistake, into the answer and any proxy log.
 */
export function registerNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `No ${request.method} route here. GraphQL is at /graphql; health at /healthz and /readyz.`,
    }),
  );
}

/**
 * Where the explorer is off (introspection off, the production default), `GET /` says so and how to turn it on,
 * instead of a bare "Route GET:/ not found".
 */
export function registerExplorerOffHint(app: FastifyInstance): void {
  app.get('/', async (_request, reply) =>
    reply.code(404).send({
      statusCode: 404,
      error: 'Not Found',
      message:
        'The explorer is off because introspection is off (the default with NODE_ENV=production); set INTROSPECTION=true to serve it here. GraphQL is at POST /graphql.',
    }),
  );
}
