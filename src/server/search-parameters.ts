/**
 * GET /graphql's query string, checked before anything reads it: each parameter Apollo Server reads (`query`,
 * `operationName`, `variables`, `extensions`) and `documentId` at most once, by its plain name. Fastify parses a
 * repeated parameter as an array, which the checks before Apollo (the persisted documents, the document's length
 * and nesting) would each have to treat apart; Apollo itself (runHttpQuery's `searchParamIfSpecifiedOnce`) refuses
 * one only after those ran. A bracketed name (`variables[c]=…`, as `qs`-style clients write objects) Apollo ignores,
 * running the operation without what the client meant to send. Both are refused here, naming the parameter.
 */
import type { FastifyInstance } from 'fastify';
import { graphqlErrorReply } from './http-errors';

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

/** The first hook of `/graphql`'s scope: a GET whose parameters are ambiguous is answered 400 here. */
export function registerSearchParameterCheck(scope: FastifyInstance): void {
  scope.addHook('preHandler', (request, reply, done) => {
    if (request.method !== 'GET') return done();
    const problem = searchParameterProblem(request.query);
    if (!problem) return done();
    // Answered here: Fastify goes no further when a callback hook sends without calling `done`.
    graphqlErrorReply(reply, 400, 'BAD_REQUEST', problem);
  });
}
