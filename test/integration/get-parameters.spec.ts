import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, GET_QUERY, startHarness } from '../helpers/harness';
import type { GraphQLResponse, Harness } from '../helpers/harness';

/**
 * GET /graphql's parameters, as Apollo Server reads them (`query`, `operationName`, `variables`, `extensions`, each
 * once) and `documentId`: given twice, or in a bracketed form, they are refused with a 400 that names the parameter,
 * before the gateway's own checks or Apollo read any of them, and nothing reaches Graph. Fastify parses a repeated
 * parameter as an array, which the checks before Apollo (length, nesting, persisted documents) took for "none".
 */
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
const variables = JSON.stringify({ c, s });

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

/** A GET with this query string exactly as written (encoded by the caller), a token and the preflight header. */
async function get(search: string): Promise<GraphQLResponse> {
  const response = await fetch(`${harness.gateway.url}?${search}`, {
    headers: { ...AUTH, 'apollo-require-preflight': 'true' },
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] };
}

const param = (name: string, value: string) => `${name}=${encodeURIComponent(value)}`;
const deep = `{ ${'a { '.repeat(300)}b${' }'.repeat(300)} }`;
const valid = [param('query', GET_QUERY), param('variables', variables)];

it('a well-formed GET runs (the control)', async () => {
  const { status, body } = await get(valid.join('&'));
  expect([status, body.errors]).toEqual([200, undefined]);
  expect(harness.emulator.requests).toHaveLength(1);
});

describe.each<[string, string, string[]]>([
  ['query', 'query', [param('query', GET_QUERY), ...valid]],
  ['query, one of them empty', 'query', [param('query', ''), ...valid]],
  ['a document nested 300 deep beside a valid one', 'query', [param('query', deep), ...valid]],
  ['variables', 'variables', [...valid, param('variables', '{}')]],
  ['operationName', 'operationName', [...valid, param('operationName', 'Get'), 'operationName=X']],
  ['extensions', 'extensions', [...valid, 'extensions=%7B%7D', 'extensions=%7B%7D']],
  ['documentId', 'documentId', ['documentId=a', 'documentId=b']],
])('a repeated parameter: %s', (_what, name, parts) => {
  it('→ 400 BAD_REQUEST naming it; Graph never called', async () => {
    const { status, body } = await get(parts.join('&'));
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      {
        message: `The '${name}' parameter is given 2 times: GET /graphql takes each of query, operationName, variables, extensions and documentId at most once.`,
        extensions: { code: 'BAD_REQUEST' },
      },
    ]);
    expect(harness.emulator.requests).toHaveLength(0);
  });
});

describe.each<[string, string, string]>([
  ['query[]', 'query', `${param('query[]', GET_QUERY)}&${param('variables', variables)}`],
  ['variables[c]', 'variables', `${param('query', GET_QUERY)}&variables[c]=${c}&variables[s]=${s}`],
  ['extensions[persistedQuery][version]', 'extensions', 'extensions[persistedQuery][version]=1'],
])('a parameter in brackets: %s', (form, name, search) => {
  it('→ 400 BAD_REQUEST saying how to send it; Graph never called', async () => {
    const { status, body } = await get(search);
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      {
        message: `The '${name}' parameter is given as '${form}': give it once, by its plain name (variables and extensions as JSON text).`,
        extensions: { code: 'BAD_REQUEST' },
      },
    ]);
    expect(harness.emulator.requests).toHaveLength(0);
  });
});
