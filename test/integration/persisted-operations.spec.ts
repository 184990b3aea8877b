import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configurationId, userStatusId } from '../../emulator/store';
import {
  AUTH,
  GET_QUERY,
  TOKEN,
  UPDATE_MUTATION,
  startGateway,
  startHarness,
} from '../helpers/harness';
import type { Gateway, GraphQLResponse, Harness } from '../helpers/harness';

/**
 * Automatic persisted queries and trusted documents over real HTTP, against the emulator: the protocol, what is
 * refused before parsing (Graph never called), and what logs and metrics say about each document.
 */
const MANIFEST = path.join(
  __dirname,
  '..',
  '..',
  'examples',
  'generated',
  'persisted-documents.json',
);
const trusted = Object.entries(
  JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>,
);
const [GET_ID, GET_DOCUMENT] = trusted.find(([, document]) =>
  document.startsWith('query GetUserStatus'),
)!;
const [UPDATE_ID] = trusted.find(([, document]) =>
  document.startsWith('mutation UpdateUserStatus('),
)!;

const hex = (text: string) => createHash('sha256').update(text).digest('hex');
const pq = (text: string) => ({ persistedQuery: { version: 1, sha256Hash: hex(text) } });
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
const getVars = { c, s };
const ids = { deviceConfigurationId: c, userStatusId: s };
const update = { input: { ...ids, status: 'COMPLIANT' } };
const PREFLIGHT = { 'apollo-require-preflight': 'true' };

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

async function get(gateway: Gateway, params: Record<string, unknown>): Promise<GraphQLResponse> {
  const search = new URLSearchParams(
    Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  const response = await fetch(`${gateway.url}?${search}`, { headers: { ...AUTH, ...PREFLIGHT } });
  return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] };
}

const codes = (response: GraphQLResponse) => response.body.errors?.map((e) => e.extensions?.code);
const metrics = async (gateway: Gateway) =>
  (await fetch(gateway.url.replace(/\/graphql$/, '/metrics'))).text();
const completedLines = (gateway: Gateway) =>
  gateway.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === 'request completed');

describe('automatic persisted queries (Apollo protocol)', () => {
  // Each test its own document (a fresh alias), so none finds another's registration.
  const fresh = (name: string) => GET_QUERY.replace('query Get(', `query ${name}(`);

  it('a hash alone → PERSISTED_QUERY_NOT_FOUND (HTTP 200); with its document it runs and registers; then the hash alone runs', async () => {
    const document = fresh('Register');
    const miss = await harness.gateway.post({ variables: getVars, extensions: pq(document) }, AUTH);
    expect([miss.status, codes(miss)]).toEqual([200, ['PERSISTED_QUERY_NOT_FOUND']]);
    expect(harness.emulator.requests).toHaveLength(0);

    const register = await harness.gateway.post(
      { query: document, variables: getVars, extensions: pq(document) },
      AUTH,
    );
    expect(register.body.data?.deviceConfigurationUserStatus).toMatchObject({ id: s });

    const hit = await harness.gateway.post({ variables: getVars, extensions: pq(document) }, AUTH);
    expect([hit.status, hit.body]).toEqual([200, register.body]);
    expect(harness.emulator.requests).toHaveLength(2);
  });

  it('a hash that is not its document’s → 400 PERSISTED_QUERY_HASH_MISMATCH, nothing registered, Graph never called', async () => {
    const document = fresh('Mismatch');
    const wrong = await harness.gateway.post(
      { query: document, variables: getVars, extensions: pq(`${document} `) },
      AUTH,
    );
    expect([wrong.status, codes(wrong)]).toEqual([400, ['PERSISTED_QUERY_HASH_MISMATCH']]);
    const after = await harness.gateway.post(
      { variables: getVars, extensions: pq(`${document} `) },
      AUTH,
    );
    expect(codes(after)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('a document that does not validate is not registered', async () => {
    const document =
      '{ deviceConfigurationUserStatus(deviceConfigurationId: "a", userStatusId: "b") { nope } }';
    const invalid = await harness.gateway.post({ query: document, extensions: pq(document) }, AUTH);
    expect([invalid.status, codes(invalid)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED']]);
    const after = await harness.gateway.post({ extensions: pq(document) }, AUTH);
    expect(codes(after)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('GET with a hash runs a query; a mutation by GET → 405, registered or not, and Graph is never called', async () => {
    const document = fresh('ByGet');
    const miss = await get(harness.gateway, { variables: getVars, extensions: pq(document) });
    expect(codes(miss)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const register = await get(harness.gateway, {
      query: document,
      variables: getVars,
      extensions: pq(document),
    });
    expect(register.body.data?.deviceConfigurationUserStatus).toMatchObject({ id: s });
    const hit = await get(harness.gateway, { variables: getVars, extensions: pq(document) });
    expect(hit.body).toEqual(register.body);
    harness.emulator.reset();

    const mutation = UPDATE_MUTATION.replace('mutation UpdateUserStatus', 'mutation ByGet');
    const byGet = await get(harness.gateway, {
      query: mutation,
      variables: update,
      extensions: pq(mutation),
    });
    expect([byGet.status, codes(byGet)]).toEqual([405, ['BAD_REQUEST']]);
    const notRegistered = await harness.gateway.post(
      { variables: update, extensions: pq(mutation) },
      AUTH,
    );
    expect(codes(notRegistered)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    // Registered by POST, it still never runs by GET.
    await harness.gateway.post(
      { query: mutation, variables: update, extensions: pq(mutation) },
      AUTH,
    );
    harness.emulator.reset();
    const registeredByGet = await get(harness.gateway, {
      variables: update,
      extensions: pq(mutation),
    });
    expect([registeredByGet.status, codes(registeredByGet)]).toEqual([405, ['BAD_REQUEST']]);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it.each([
    ['version 2', { persistedQuery: { version: 2, sha256Hash: hex('{ a }') } }],
    [
      'a hash that is not 64 hex characters',
      { persistedQuery: { version: 1, sha256Hash: 'x'.repeat(5000) } },
    ],
  ])('a malformed persistedQuery (%s) → 400 BAD_REQUEST', async (_name, extensions) => {
    const response = await harness.gateway.post({ extensions }, AUTH);
    expect([response.status, codes(response)]).toEqual([400, ['BAD_REQUEST']]);
    expect(harness.emulator.requests).toHaveLength(0);
  });
});

describe('trusted documents (GRAPHQL_TRUSTED_DOCUMENTS), allowlist off', () => {
  it.each([
    ['POST documentId', () => harness.gateway.post({ documentId: GET_ID, variables: ids }, AUTH)],
    ['GET documentId', () => get(harness.gateway, { documentId: GET_ID, variables: ids })],
    [
      'POST with the APQ hash of the document',
      () => harness.gateway.post({ variables: ids, extensions: pq(GET_DOCUMENT) }, AUTH),
    ],
  ])('%s runs the manifest’s document', async (_name, send) => {
    const response = await send();
    expect([response.status, response.body.errors]).toEqual([200, undefined]);
    expect(response.body.data?.deviceConfigurationUserStatus).toMatchObject({ id: s });
  });

  it('a mutation by its documentId runs with POST; by GET → 405 and Graph is never called', async () => {
    const byGet = await get(harness.gateway, { documentId: UPDATE_ID, variables: update });
    expect([byGet.status, codes(byGet)]).toEqual([405, ['BAD_REQUEST']]);
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
    expect([response.status, codes(response)]).toEqual([status, [code]]);
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
    const byHash = await allowlist.post({ variables: ids, extensions: pq(GET_DOCUMENT) }, AUTH);
    expect(byHash.body).toEqual(byId.body);
  });

  const registration = { query: GET_QUERY, variables: getVars, extensions: pq(GET_QUERY) };
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
      () => get(allowlist, { query: GET_QUERY, variables: getVars }),
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
      () => allowlist.post({ variables: getVars, extensions: pq(GET_QUERY) }, AUTH),
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
    expect([response.status, codes(response)]).toEqual([status, [code]]);
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
    const after = await allowlist.post({ variables: getVars, extensions: pq(GET_QUERY) }, AUTH);
    expect(codes(after)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });

  it('refusals are counted by code, with no client-chosen id or hash in a label', async () => {
    await allowlist.post({ documentId: 'x-evil:label', variables: ids }, AUTH);
    const text = await metrics(allowlist);
    expect(text).toMatch(
      /^intune_gateway_graphql_documents_total\{document="none",outcome="PERSISTED_QUERY_NOT_IN_LIST"\} \d+$/m,
    );
    expect(text).not.toContain('x-evil');
    expect(text).not.toContain(hex(GET_QUERY));
  });
});

describe('logs and metrics name the document of each operation', () => {
  it('the request line carries the trusted id or the APQ hash; metrics label trusted ids only', async () => {
    const document = GET_QUERY.replace('query Get(', 'query Logged(');
    harness.gateway.logs.length = 0;
    await harness.gateway.post({ documentId: GET_ID, variables: ids }, AUTH);
    await harness.gateway.post(
      { query: document, variables: getVars, extensions: pq(document) },
      AUTH,
    );
    await harness.gateway.post({ variables: getVars, extensions: pq(document) }, AUTH);
    await harness.gateway.gql(GET_QUERY, getVars, AUTH);
    expect(
      completedLines(harness.gateway).map((line) => [line.operationName, line.documentId]),
    ).toEqual([
      ['GetUserStatus', GET_ID],
      ['Logged', `sha256:${hex(document)}`],
      ['Logged', `sha256:${hex(document)}`],
      ['Get', null],
    ]);

    const text = await metrics(harness.gateway);
    expect(text).toMatch(
      new RegExp(
        `^intune_gateway_graphql_documents_total\\{document="${GET_ID}",outcome="ok"\\} \\d+$`,
        'm',
      ),
    );
    expect(text).toMatch(
      /^intune_gateway_graphql_documents_total\{document="apq",outcome="ok"\} \d+$/m,
    );
    expect(text).toMatch(
      /^intune_gateway_graphql_documents_total\{document="apq",outcome="PERSISTED_QUERY_NOT_FOUND"\} \d+$/m,
    );
    expect(text).toMatch(
      /^intune_gateway_graphql_documents_total\{document="none",outcome="ok"\} \d+$/m,
    );
    expect(text).not.toContain(hex(document));
    expect(harness.gateway.logs.join('\n')).not.toContain(TOKEN);
  });
});
