import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, GET_QUERY, TOKEN, startGateway, startHarness } from '../helpers/harness';
import type { Gateway, GraphQLResponse, Harness } from '../helpers/harness';
import {
  MANIFEST,
  codesOf,
  getRequest,
  manifestEntry,
  metricsOf,
  persistedQuery,
  sha256,
} from '../helpers/persisted';

/**
 * Trusted documents (this project's own manifest) and the allowlist over real HTTP, against the emulator: what
 * runs, what is refused before parsing (Graph never called), and what logs and metrics say about each document.
 */
const [GET_ID, GET_DOCUMENT] = manifestEntry('query GetUserStatus');
const [UPDATE_ID] = manifestEntry('mutation UpdateUserStatus(');
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
const getVars = { c, s };
const ids = { deviceConfigurationId: c, userStatusId: s };
const update = { input: { ...ids, status: 'COMPLIANT' } };

let harness: Harness;
let allowlist: Gateway;
beforeAll(async () => {
  harness = await startHarness({ env: { GRAPHQL_TRUSTED_DOCUMENTS: MANIFEST } });
  allowlist = await startGateway({
    GRAPH_BASE_URL: harness.emulator.baseUrl,
    GRAPHQL_TRUSTED_DOCUMENTS: MANIFEST,
    GRAPHQL_TRUSTED_DOCUMENTS_ONLY: 'true',
  });
});
afterAll(async () => {
  await allowlist.close();
  await harness.close();
});
beforeEach(() => harness.emulator.reset());

/** intune_gateway_graphql_documents_total for this document label and outcome, 0 before its first count. */
function documentsCounted(metrics: string, document: string, outcome: string): number {
  const line = `intune_gateway_graphql_documents_total{document="${document}",outcome="${outcome}"} `;
  const at = metrics.split('\n').find((text) => text.startsWith(line));
  return at ? Number(at.slice(line.length)) : 0;
}

const completedLines = (gateway: Gateway) =>
  gateway.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === 'request completed');

describe('trusted documents (GRAPHQL_TRUSTED_DOCUMENTS), allowlist off', () => {
  it.each([
    ['POST documentId', () => harness.gateway.post({ documentId: GET_ID, variables: ids }, AUTH)],
    [
      'GET documentId',
      () => getRequest(harness.gateway, { documentId: GET_ID, variables: ids }, AUTH),
    ],
    [
      'POST with the APQ hash of the document',
      () =>
        harness.gateway.post({ variables: ids, extensions: persistedQuery(GET_DOCUMENT) }, AUTH),
    ],
  ])('%s runs the manifest’s document', async (_name, send) => {
    const response = await send();
    expect([response.status, response.body.errors]).toEqual([200, undefined]);
    expect(response.body.data?.deviceConfigurationUserStatus).toMatchObject({ id: s });
  });

  it('a mutation by its documentId runs with POST; by GET → 405 and Graph is never called', async () => {
    const byGet = await getRequest(
      harness.gateway,
      { documentId: UPDATE_ID, variables: update },
      AUTH,
    );
    expect([byGet.status, codesOf(byGet)]).toEqual([405, ['BAD_REQUEST']]);
    expect(harness.emulator.requests).toHaveLength(0);
    const byPost = await harness.gateway.post({ documentId: UPDATE_ID, variables: update }, AUTH);
    expect(byPost.body.data?.updateDeviceConfigurationUserStatus).toMatchObject({
      userStatus: { id: s, status: 'COMPLIANT' },
    });
  });

  it.each([
    [
      'an unknown documentId',
      { documentId: 'sha256:' + '0'.repeat(64) },
      404,
      'PERSISTED_QUERY_NOT_IN_LIST',
    ],
    ['a documentId and a document', { documentId: GET_ID, query: GET_QUERY }, 400, 'BAD_REQUEST'],
    ['a documentId that is no string', { documentId: { id: GET_ID } }, 400, 'BAD_REQUEST'],
  ])('%s → %i %s, Graph never called', async (_name, body, status, code) => {
    const response = await harness.gateway.post({ ...body, variables: ids }, AUTH);
    expect([response.status, codesOf(response)]).toEqual([status, [code]]);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('documents sent whole still run beside the manifest (the explorer’s way)', async () => {
    const response = await harness.gateway.gql(GET_QUERY, getVars, AUTH);
    expect(response.body.data?.deviceConfigurationUserStatus).toMatchObject({ id: s });
  });
});

describe('the allowlist (GRAPHQL_TRUSTED_DOCUMENTS_ONLY=true): nothing but the manifest runs', () => {
  it('the manifest’s documents run, by documentId or by their APQ hash', async () => {
    const byId = await allowlist.post({ documentId: GET_ID, variables: ids }, AUTH);
    expect(byId.body.data?.deviceConfigurationUserStatus).toMatchObject({ id: s });
    const byHash = await allowlist.post(
      { variables: ids, extensions: persistedQuery(GET_DOCUMENT) },
      AUTH,
    );
    expect(byHash.body).toEqual(byId.body);
  });

  const registration = {
    query: GET_QUERY,
    variables: getVars,
    extensions: persistedQuery(GET_QUERY),
  };
  it.each<[string, number, string, () => Promise<GraphQLResponse>]>([
    [
      'an arbitrary document',
      400,
      'PERSISTED_QUERY_ID_REQUIRED',
      () => allowlist.gql(GET_QUERY, getVars, AUTH),
    ],
    [
      'the manifest’s text sent whole',
      400,
      'PERSISTED_QUERY_ID_REQUIRED',
      () => allowlist.gql(GET_DOCUMENT, ids, AUTH),
    ],
    [
      'introspection',
      400,
      'PERSISTED_QUERY_ID_REQUIRED',
      () => allowlist.gql('{ __schema { types { name } } }', {}, AUTH),
    ],
    [
      'an arbitrary document by GET',
      400,
      'PERSISTED_QUERY_ID_REQUIRED',
      () => getRequest(allowlist, { query: GET_QUERY, variables: getVars }, AUTH),
    ],
    [
      'an unknown documentId',
      404,
      'PERSISTED_QUERY_NOT_IN_LIST',
      () => allowlist.post({ documentId: 'get-v0', variables: ids }, AUTH),
    ],
    [
      'an unknown APQ hash',
      404,
      'PERSISTED_QUERY_NOT_IN_LIST',
      () => allowlist.post({ variables: getVars, extensions: persistedQuery(GET_QUERY) }, AUTH),
    ],
    [
      'an APQ registration',
      404,
      'PERSISTED_QUERY_NOT_IN_LIST',
      () => allowlist.post(registration, AUTH),
    ],
    [
      'a document that does not parse (no GRAPHQL_PARSE_FAILED: it is never parsed)',
      400,
      'PERSISTED_QUERY_ID_REQUIRED',
      () => allowlist.gql('query {', {}, AUTH),
    ],
    [
      'a 40,000-character document',
      400,
      'PERSISTED_QUERY_ID_REQUIRED',
      () => allowlist.gql(`{ ${'a '.repeat(20_000)}}`, {}, AUTH),
    ],
  ])('%s → %i %s, before parsing, Graph never called', async (_name, status, code, send) => {
    const response = await send();
    expect([response.status, codesOf(response)]).toEqual([status, [code]]);
    expect(response.body.data).toBeUndefined();
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it.each([
    ['application/graphql-response+json', 'application/graphql-response+json; charset=utf-8'],
    ['application/json', 'application/json; charset=utf-8'],
  ])('a refusal to a client accepting %s comes as %s, never cached', async (accept, type) => {
    const response = await fetch(allowlist.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, ...AUTH },
      body: JSON.stringify({ query: GET_QUERY, variables: getVars }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('cache-control')).toBe('private, no-cache, must-revalidate');
  });

  it('the APQ registration refused is not registered: its hash alone is still refused', async () => {
    await allowlist.post(registration, AUTH);
    const after = await allowlist.post(
      { variables: getVars, extensions: persistedQuery(GET_QUERY) },
      AUTH,
    );
    expect(codesOf(after)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });

  it('refusals are counted by code, with no client-chosen id or hash in a label', async () => {
    const before = await metricsOf(allowlist);
    await allowlist.post({ documentId: 'x-evil:label', variables: ids }, AUTH);
    await allowlist.gql(GET_QUERY, getVars, AUTH);
    const text = await metricsOf(allowlist);
    const added = (outcome: string) =>
      documentsCounted(text, 'none', outcome) - documentsCounted(before, 'none', outcome);
    expect([added('PERSISTED_QUERY_NOT_IN_LIST'), added('PERSISTED_QUERY_ID_REQUIRED')]).toEqual([
      1, 1,
    ]);
    expect(text).not.toContain('x-evil');
    expect(text).not.toContain(sha256(GET_QUERY));
  });
});

describe('logs and metrics name the document of each operation', () => {
  it('the request line carries the trusted id or the APQ hash; metrics label trusted ids only', async () => {
    const document = GET_QUERY.replace('query Get(', 'query Logged(');
    const hashAlone = { variables: getVars, extensions: persistedQuery(document) };
    const before = await metricsOf(harness.gateway);
    harness.gateway.logs.length = 0;
    await harness.gateway.post({ documentId: GET_ID, variables: ids }, AUTH);
    await harness.gateway.post(hashAlone, AUTH);
    await harness.gateway.post({ ...hashAlone, query: document }, AUTH);
    await harness.gateway.post(hashAlone, AUTH);
    await harness.gateway.gql(GET_QUERY, getVars, AUTH);
    expect(
      completedLines(harness.gateway).map((line) => [
        line.operationName,
        line.documentId,
        line.errorCodes,
      ]),
    ).toEqual([
      ['GetUserStatus', GET_ID, []],
      [null, `sha256:${sha256(document)}`, ['PERSISTED_QUERY_NOT_FOUND']],
      ['Logged', `sha256:${sha256(document)}`, []],
      ['Logged', `sha256:${sha256(document)}`, []],
      ['Get', null, []],
    ]);

    const after = await metricsOf(harness.gateway);
    const added = (document: string, outcome: string) =>
      documentsCounted(after, document, outcome) - documentsCounted(before, document, outcome);
    expect(added(GET_ID, 'ok')).toBe(1);
    expect(added('apq', 'PERSISTED_QUERY_NOT_FOUND')).toBe(1);
    expect(added('apq', 'ok')).toBe(2);
    expect(added('none', 'ok')).toBe(1);
    expect(after).not.toContain(sha256(document));
    expect(harness.gateway.logs.join('\n')).not.toContain(TOKEN);
  });
});
