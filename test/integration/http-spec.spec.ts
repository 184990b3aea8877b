import { connect } from 'node:net';
import { serverAudits } from 'graphql-http';
import { startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

// The audits this gateway knowingly does not pass, with the reason (as apollo-server's httpSpecTests.ts lists its
// own). None is a MUST.
const KNOWN_NOT_OK: Readonly<Record<string, string>> = {
  // SHOULD: Apollo Server answers 400 for documents that fail to parse or validate and for variables that fail
  // coercion, even when the client accepts only application/json. The request never executed, and the 400 lets
  // caches, proxies and metrics tell a bad request from a served one.
  '572B': 'Apollo answers 400, not 200, on a parse failure when accepting application/json',
  FDE2: 'Apollo answers 400, not 200, on a validation failure when accepting application/json',
  '7B9B':
    'Apollo answers 400, not 200, on a variable coercion failure when accepting application/json',
  // MAY: GETs without a preflight-forcing header are refused by Apollo's CSRF prevention, on purpose: a browser
  // could send them cross-site.
  '5A70': 'CSRF prevention refuses a GET without a preflight-forcing header',
  D6D5: 'CSRF prevention refuses a GET without a preflight-forcing header',
  '6A70': 'CSRF prevention refuses a GET without a preflight-forcing header',
};

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

describe('GraphQL over HTTP (graphql-http server audits)', () => {
  const audits = serverAudits({ url: () => harness.gateway.url });
  const table = (must: boolean) =>
    audits
      .filter((audit) => audit.name.startsWith('MUST') === must)
      .map((audit) => [audit.id, audit.name, audit] as const);

  it.each(table(true))('%s %s', async (_id, _name, audit) => {
    const result = await audit.fn();
    const reason = 'reason' in result ? result.reason : '';
    expect(result.status === 'ok' ? 'ok' : `${result.status}: ${reason}`).toBe('ok');
  });

  it.each(table(false))('%s %s: passes, or is a listed exception', async (id, _name, audit) => {
    const result = await audit.fn();
    if (result.status === 'ok') expect(KNOWN_NOT_OK[id]).toBeUndefined();
    else expect([result.status === 'error', KNOWN_NOT_OK[id] !== undefined]).toEqual([false, true]);
  });
});

describe('a request line with a fragment (no client sends one; a hand-written request can)', () => {
  /** One raw HTTP/1.1 exchange: fetch and node:http both drop or refuse a `#` in the path. */
  function rawGet(path: string): Promise<string> {
    const { port } = new URL(harness.gateway.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\napollo-require-preflight: true\r\nConnection: close\r\n\r\n`,
      );
    });
  }

  it('ends the query string there, as URL.search does: the operation name is A, not "A#x"', async () => {
    const query = encodeURIComponent('query A { __typename }');
    const answer = await rawGet(`/graphql?query=${query}&operationName=A#x`);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(answer.slice(answer.indexOf('\r\n\r\n') + 4)).toContain(
      '{"data":{"__typename":"Query"}}',
    );
  });
});

describe('request headers reach Apollo as sent', () => {
  const get = (headers: Record<string, string>) =>
    fetch(`${harness.gateway.url}?query=${encodeURIComponent('{ __typename }')}`, { headers });

  it('a GET with apollo-require-preflight runs', async () => {
    const response = await get({ 'apollo-require-preflight': 'true' });
    expect([response.status, await response.json()]).toEqual([
      200,
      { data: { __typename: 'Query' } },
    ]);
  });

  it.each([
    ['without it', {}],
    ['with it empty', { 'apollo-require-preflight': '' }],
  ])('a GET %s is refused by CSRF prevention, as Apollo words it', async (_case, headers) => {
    const response = await get(headers);
    const body = (await response.json()) as { errors: Array<{ message: string }> };
    expect(response.status).toBe(400);
    expect(body.errors[0]?.message).toContain(
      'provide a non-empty value for one of the following headers',
    );
  });
});
