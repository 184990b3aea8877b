import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, GET_QUERY, UPDATE_MUTATION, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';
import { codesOf, getRequest, persistedQuery, sha256 } from '../helpers/persisted';

/**
 * Automatic persisted queries over real HTTP, against the emulator, as Apollo specifies them: a hash alone is not
 * found until its document comes with it, then runs; a hash that is not its document's is refused; GET runs queries
 * by hash, never mutations. What is refused never reaches Graph.
 */
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
const getVars = { c, s };
const update = { input: { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' } };

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

describe('automatic persisted queries (Apollo protocol)', () => {
  // Each test its own document (a fresh alias), so none finds another's registration.
  const fresh = (name: string) => GET_QUERY.replace('query Get(', `query ${name}(`);

  it('a hash alone → PERSISTED_QUERY_NOT_FOUND (HTTP 200); with its document it runs and registers; then the hash alone runs', async () => {
    const document = fresh('Register');
    const miss = await harness.gateway.post(
      { variables: getVars, extensions: persistedQuery(document) },
      AUTH,
    );
    expect([miss.status, codesOf(miss)]).toEqual([200, ['PERSISTED_QUERY_NOT_FOUND']]);
    expect(harness.emulator.requests).toHaveLength(0);

    const register = await harness.gateway.post(
      { query: document, variables: getVars, extensions: persistedQuery(document) },
      AUTH,
    );
    expect(register.body.data?.deviceConfigurationUserStatus).toMatchObject({ id: s });

    const hit = await harness.gateway.post(
      { variables: getVars, extensions: persistedQuery(document) },
      AUTH,
    );
    expect([hit.status, hit.body]).toEqual([200, register.body]);
    expect(harness.emulator.requests).toHaveLength(2);
  });

  it('a hash that is not its document’s → 400 PERSISTED_QUERY_HASH_MISMATCH, nothing registered, Graph never called', async () => {
    const document = fresh('Mismatch');
    const wrong = await harness.gateway.post(
      { query: document, variables: getVars, extensions: persistedQuery(`${document} `) },
      AUTH,
    );
    expect([wrong.status, codesOf(wrong)]).toEqual([400, ['PERSISTED_QUERY_HASH_MISMATCH']]);
    const after = await harness.gateway.post(
      { variables: getVars, extensions: persistedQuery(`${document} `) },
      AUTH,
    );
    expect(codesOf(after)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('a document that does not validate is not registered', async () => {
    const document =
      '{ deviceConfigurationUserStatus(deviceConfigurationId: "a", userStatusId: "b") { nope } }';
    const invalid = await harness.gateway.post(
      { query: document, extensions: persistedQuery(document) },
      AUTH,
    );
    expect([invalid.status, codesOf(invalid)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED']]);
    const after = await harness.gateway.post({ extensions: persistedQuery(document) }, AUTH);
    expect(codesOf(after)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('GET with a hash runs a query; a mutation by GET → 405, registered or not, and Graph is never called', async () => {
    const document = fresh('ByGet');
    const miss = await getRequest(
      harness.gateway,
      { variables: getVars, extensions: persistedQuery(document) },
      AUTH,
    );
    expect(codesOf(miss)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const register = await getRequest(
      harness.gateway,
      {
        query: document,
        variables: getVars,
        extensions: persistedQuery(document),
      },
      AUTH,
    );
    expect(register.body.data?.deviceConfigurationUserStatus).toMatchObject({ id: s });
    const hit = await getRequest(
      harness.gateway,
      { variables: getVars, extensions: persistedQuery(document) },
      AUTH,
    );
    expect(hit.body).toEqual(register.body);
    harness.emulator.reset();

    const mutation = UPDATE_MUTATION.replace('mutation UpdateUserStatus', 'mutation ByGet');
    const byGet = await getRequest(
      harness.gateway,
      {
        query: mutation,
        variables: update,
        extensions: persistedQuery(mutation),
      },
      AUTH,
    );
    expect([byGet.status, codesOf(byGet)]).toEqual([405, ['BAD_REQUEST']]);
    const notRegistered = await harness.gateway.post(
      { variables: update, extensions: persistedQuery(mutation) },
      AUTH,
    );
    expect(codesOf(notRegistered)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    // Registered by POST, it still never runs by GET.
    await harness.gateway.post(
      { query: mutation, variables: update, extensions: persistedQuery(mutation) },
      AUTH,
    );
    harness.emulator.reset();
    const registeredByGet = await getRequest(
      harness.gateway,
      {
        variables: update,
        extensions: persistedQuery(mutation),
      },
      AUTH,
    );
    expect([registeredByGet.status, codesOf(registeredByGet)]).toEqual([405, ['BAD_REQUEST']]);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it.each([
    ['version 2', { persistedQuery: { version: 2, sha256Hash: sha256('{ a }') } }],
    [
      'a hash that is not 64 hex characters',
      { persistedQuery: { version: 1, sha256Hash: 'x'.repeat(5000) } },
    ],
  ])('a malformed persistedQuery (%s) → 400 BAD_REQUEST', async (_name, extensions) => {
    const response = await harness.gateway.post({ extensions }, AUTH);
    expect([response.status, codesOf(response)]).toEqual([400, ['BAD_REQUEST']]);
    expect(harness.emulator.requests).toHaveLength(0);
  });
});
