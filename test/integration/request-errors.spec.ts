import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, GET_QUERY, startGateway, startHarness } from '../helpers/harness';
import type { Gateway, Harness } from '../helpers/harness';

const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);

let harness: Harness;
let production: Gateway;
beforeAll(async () => {
  harness = await startHarness();
  production = await startGateway({
    GRAPH_BASE_URL: harness.emulator.baseUrl,
    NODE_ENV: 'Production',
  });
});
afterAll(async () => {
  await production.close();
  await harness.close();
});
beforeEach(() => harness.emulator.reset());

/** A POST with exactly these headers (fetch would add `text/plain` to a string body without one). */
async function post(url: string, headers: Record<string, string>, body: string) {
  const response = await fetch(url, { method: 'POST', headers, body: new Blob([body]) });
  return { status: response.status, body: (await response.json()) as unknown };
}

const graphqlError = (code: string, message: string) => ({
  errors: [{ message, extensions: { code } }],
});

describe('requests that cannot be read say what is wrong, and send nothing to Graph', () => {
  const query = JSON.stringify({ query: GET_QUERY, variables: { c, s } });

  it.each([
    [
      'no Content-Type',
      {},
      query,
      415,
      graphqlError('BAD_REQUEST', 'Content-Type must be application/json; the request has none.'),
    ],
    [
      'a form',
      { 'content-type': 'application/x-www-form-urlencoded' },
      query,
      415,
      graphqlError(
        'BAD_REQUEST',
        'Content-Type must be application/json, got application/x-www-form-urlencoded.',
      ),
    ],
    [
      'text/plain (a simple request, as CSRF would send)',
      { 'content-type': 'text/plain;charset=UTF-8' },
      query,
      415,
      graphqlError('BAD_REQUEST', 'Content-Type must be application/json, got text/plain.'),
    ],
    [
      'malformed JSON',
      { 'content-type': 'application/json' },
      '{"query": "{ __typename }"',
      400,
      graphqlError('BAD_REQUEST', 'The body is not valid JSON (or it holds a "__proto__" key).'),
    ],
    [
      'an empty JSON body',
      { 'content-type': 'application/json' },
      '',
      400,
      graphqlError('BAD_REQUEST', 'The body is empty: send a JSON object with a "query".'),
    ],
  ])('%s', async (_name, headers, body, status, expected) => {
    const answer = await post(harness.gateway.url, { ...AUTH, ...headers }, body);
    expect(answer).toEqual({ status, body: expected });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it.each([
    ['GET', '/graphq?access_token=eyJsecret&x=%3Cscript%3E'],
    ['POST', '/beta/deviceManagement?x=%3Cscript%3E'],
    ['DELETE', '/graphql/../../etc'],
  ])('an unknown route (%s %s) is 404 without its URL echoed back', async (method, route) => {
    const origin = harness.gateway.url.replace(/\/graphql$/, '');
    const response = await fetch(`${origin}${route}`, { method, headers: AUTH });
    const text = await response.text();
    expect(response.status).toBe(404);
    expect(JSON.parse(text)).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: `No ${method} route here. GraphQL is at /graphql; health at /healthz and /readyz.`,
    });
    expect(text).not.toMatch(/secret|script|deviceManagement|etc|graphq\?/);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('application/json with a charset is read', async () => {
    const answer = await post(
      harness.gateway.url,
      { ...AUTH, 'content-type': 'application/json; charset=utf-8' },
      query,
    );
    expect(answer.status).toBe(200);
  });
});

describe('production mode (NODE_ENV=Production, any case)', () => {
  const origin = () => production.url.replace(/\/graphql$/, '');

  it('GET / answers 404 JSON saying the explorer is off and how to turn it on', async () => {
    const response = await fetch(`${origin()}/`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message:
        'The explorer is off because introspection is off (the default with NODE_ENV=production); set INTROSPECTION=true to serve it here. GraphQL is at POST /graphql.',
    });
  });

  it('a misspelt enum value in variables gets no suggestion', async () => {
    const variables = { path: 'DEVICE_CONFIGURATIO', c, s };
    const { status, body } = await production.gql(GET_QUERY, variables, AUTH);
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message:
        'Variable "$path" got invalid value "DEVICE_CONFIGURATIO"; Value "DEVICE_CONFIGURATIO" does not exist in "UserStatusPath" enum.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('outside production the suggestion stays, to help while developing', async () => {
    const variables = { path: 'DEVICE_CONFIGURATIO', c, s };
    const { body } = await harness.gateway.gql(GET_QUERY, variables, AUTH);
    expect(body.errors?.[0]?.message).toContain(
      'Did you mean the enum value "DEVICE_CONFIGURATION"?',
    );
  });
});

describe('automatic persisted queries: a wrong hash says so; Apollo Client registers, then sends hashes', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const apolloClient = (uri: string) =>
    new ApolloClient({
      link: new PersistedQueryLink({ sha256 }).concat(new HttpLink({ uri, headers: AUTH })),
      cache: new InMemoryCache(),
    });

  it('a wrong sha256Hash → 400 PERSISTED_QUERY_HASH_MISMATCH, not an internal error', async () => {
    const { status, body } = await harness.gateway.post(
      {
        query: GET_QUERY,
        variables: { c, s },
        extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } },
      },
      AUTH,
    );
    expect([status, body]).toEqual([
      400,
      graphqlError(
        'PERSISTED_QUERY_HASH_MISMATCH',
        'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it.',
      ),
    ]);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it("Apollo Client's persisted-query link: the hash, not found; the document with it; later the hash alone", async () => {
    harness.gateway.logs.length = 0;
    const query = gql(GET_QUERY.replace('query Get(', 'query GetByLink('));
    const first = await apolloClient(harness.gateway.url).query({ query, variables: { c, s } });
    expect(first.data).toMatchObject({ deviceConfigurationUserStatus: { id: s } });
    const second = await apolloClient(harness.gateway.url).query({ query, variables: { c, s } });
    expect(second.data).toEqual(first.data);
    const completed = harness.gateway.logs.filter((line) => line.includes('request completed'));
    expect(completed).toHaveLength(3); // the hash alone, not found; the document with its hash; the hash alone
    expect(
      completed.map((line) => (JSON.parse(line) as { errorCodes: string[] }).errorCodes),
    ).toEqual([['PERSISTED_QUERY_NOT_FOUND'], [], []]);
  });

  it("GRAPHQL_APQ=false: PERSISTED_QUERY_NOT_SUPPORTED, and Apollo Client's link sends the document", async () => {
    const off = await startGateway({
      GRAPH_BASE_URL: harness.emulator.baseUrl,
      GRAPHQL_APQ: 'false',
    });
    try {
      const result = await apolloClient(off.url).query({
        query: gql(GET_QUERY),
        variables: { c, s },
      });
      expect(result.data).toMatchObject({ deviceConfigurationUserStatus: { id: s } });
      const completed = off.logs.filter((line) => line.includes('request completed'));
      expect(completed).toHaveLength(2); // the hash alone, refused; then the document
      expect(completed[0]).toContain('PERSISTED_QUERY_NOT_SUPPORTED');
    } finally {
      await off.close();
    }
  });
});
