import { responseTypeFor } from '../../src/graphql/federation';

const JSON_TYPE = 'application/json';
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

// The type Apollo Server answers a single result with, for the router-errors plugin (src/graphql/federation.ts).
// test/integration/supergraph-router.spec.ts checks the same choices against Apollo's own answers.
describe('responseTypeFor', () => {
  it.each<[string | undefined, string | null]>([
    [undefined, JSON_TYPE],
    ['', JSON_TYPE],
    ['   ', null],
    ['*/*', JSON_TYPE],
    ['application/*', JSON_TYPE],
    ['application/json', JSON_TYPE],
    [GRAPHQL_RESPONSE, GRAPHQL_RESPONSE],
    // Apollo Router lists both, application/json first; equal quality: the earlier range wins.
    ['application/json, application/graphql-response+json', JSON_TYPE],
    ['application/graphql-response+json, application/json', GRAPHQL_RESPONSE],
    // Apollo Client, urql, graphql-request.
    ['application/graphql-response+json,application/json;q=0.9', GRAPHQL_RESPONSE],
    ['APPLICATION/JSON;Q=0.5, */*', GRAPHQL_RESPONSE],
    ['application/json;q=0.5, application/*;q=0.7', GRAPHQL_RESPONSE],
    ['text/html, application/json;q=0.1', JSON_TYPE],
    // Equal quality: the more specific range wins, then the earlier one.
    ['application/*, application/graphql-response+json', GRAPHQL_RESPONSE],
    ['*/*, application/json', JSON_TYPE],
    // Parameters must be the ones Apollo offers (charset=utf-8).
    ['application/json;charset=utf-8', JSON_TYPE],
    ['application/json; charset="UTF-8"', JSON_TYPE],
    ['application/graphql-response+json;charset=*', GRAPHQL_RESPONSE],
    // Nothing acceptable: Apollo answers 406, and the plugin leaves it so.
    ['text/html', null],
    ['application/json;q=0', null],
    ['application/json;charset=latin1', null],
    ['application/json;q=abc', null],
  ])('%j → %s', (accept, type) => {
    expect(responseTypeFor(accept)).toBe(type);
  });
});
