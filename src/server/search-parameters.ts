/**
 * GET /graphql's query string, checked before anything reads it: each parameter Apollo Server reads (`query`,
 * `operationName`, `variables`, `extensions`) and `documentId` at most once, by its plain name. Fastify parses a
 * repeated parameter as an array, which the checks before Apollo (the persisted documents, the document's length
 * and nesting) would each have to treat apart; Apollo itself (runHttpQuery's `searchParamIfSpecifiedOnce`) refuses
 * one only after those ran. A bracketed name (`variables[c]=…`, as `qs`-style clients write objects) Apollo ignores,
 * running the operation without what the client meant to send. Both are refused here, naming the parameter, and so
 * is `variables` or `extensions` over the bounds of a JSON body (src/server/json-bounds.ts).
 */
import type { FastifyInstance } from 'fastify';
import { searchOf } from './apollo-handler';
import { graphqlErrorReply } from './http-errors';
import { jsonBoundsProblem } from './json-bounds';
import type { JsonBounds } from './json-bounds';

/** What a GET to /graphql may carry: Apollo's four parameters and the persisted documents' id. */
export const GET_PARAMETERS: readonly string[] = [
  'query',
  'operationName',
  'variables',
  'extensions',
  'documentId',
];

const LISTED = 'query, operationName, variables, extensions and documentId';
const BRACKETED = new RegExp(`^(${GET_PARAMETERS.join('|')})\\[`);

/** Why a GET's parameters (Fastify's parse of its query string) cannot be read one way; null when they can. */
export function searchParameterProblem(params: unknown): string | null {
  if (typeof params !== 'object' || params === null) return null;
  for (const [name, value] of Object.entries(params)) {
    if (GET_PARAMETERS.includes(name) && Array.isArray(value))
      return `The '${name}' parameter is given ${value.length} times: GET /graphql takes each of ${LISTED} at most once.`;
    const bracketed = BRACKETED.exec(name)?.[1];
    if (bracketed)
      return `The '${bracketed}' parameter is given as '${name}': give it once, by its plain name (variables and extensions as JSON text).`;
  }
  return null;
}

/** The parameters a GET carries as JSON text, which Apollo (both) and the persisted documents (`extensions`) parse. */
const JSON_PARAMETERS = ['variables', 'extensions'] as const;

/**
 * Why a JSON parameter of a GET cannot be parsed (src/server/json-bounds.ts), as Fastify decoded it (`params`, what
 * the persisted documents parse) or as Apollo will (`URLSearchParams` over `search`); null when none is over the
 * bounds. The two decoders differ on malformed escapes (Fastify keeps the whole value encoded, `URLSearchParams`
 * decodes the rest), and so may the strings that hide brackets from one and not the other: both are scanned.
 */
export function jsonParameterProblem(
  params: unknown,
  search: string,
  bounds: JsonBounds,
): string | null {
  const fastify =
    typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
  const apollo = new URLSearchParams(search);
  for (const name of JSON_PARAMETERS) {
    for (const value of [fastify[name], ...apollo.getAll(name)]) {
      if (typeof value !== 'string') continue;
      const problem = jsonBoundsProblem(`The '${name}' parameter`, value, bounds);
      if (problem) return problem;
    }
  }
  return null;
}

/** The first hook of `/graphql`'s scope: a GET whose parameters are ambiguous, or over the JSON bounds, is 400. */
export function registerSearchParameterCheck(scope: FastifyInstance, bounds: JsonBounds): void {
  scope.addHook('preHandler', (request, reply, done) => {
    if (request.method !== 'GET') return done();
    const problem =
      searchParameterProblem(request.query) ??
      jsonParameterProblem(request.query, searchOf(request.url), bounds);
    if (!problem) return done();
    // Answered here: Fastify goes no further when a callback hook sends without calling `done`.
    graphqlErrorReply(reply, 400, 'BAD_REQUEST', problem);
  });
}
