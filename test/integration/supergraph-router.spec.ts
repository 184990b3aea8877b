import { configurationId, userStatusId } from '../../emulator';
import { responseTypeFor } from '../../src/graphql/federation';
import { AUTH, UPDATE_MUTATION } from '../helpers/harness';
import type { Harness } from '../helpers/harness';
import { startFederation } from '../helpers/supergraph';
import type { Federation, Router } from '../helpers/supergraph';

/**
 * What a router does with the gateway's answers (the gateway in Federation mode beside the audit subgraph, behind
 * the real `@apollo/gateway`, the emulator in Intune mode): a bad variable keeps BAD_USER_INPUT, and Relay edges
 * page through an Intune-style list (pages of 3 whatever `$top`, `$skiptoken=skipCount%3dN` nextLinks).
 */
let federation: Federation;
let harness: Harness;
let router: Router;
beforeAll(async () => {
  federation = await startFederation();
  ({ harness, router } = federation);
});
afterAll(() => federation?.close());
beforeEach(() => harness.emulator.reset());

const c = configurationId('windows10-general');
const badInput = {
  deviceConfigurationId: c,
  userStatusId: userStatusId('windows10-general', 0),
  lastReportedDateTime: 'yesterday at noon',
};

describe('errors through the router', () => {
  it('a bad DateTimeOffset variable reaches the caller as BAD_USER_INPUT, and Graph is never called', async () => {
    const { body } = await router.post(UPDATE_MUTATION, { input: badInput }, AUTH);
    expect(body.errors).toHaveLength(1);
    const [error] = body.errors!;
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error?.message).toContain('DateTimeOffset');
    // Not the router's "400: Bad Request" with the subgraph's answer buried in extensions.response.
    expect(error?.message).not.toContain('400');
    expect(error?.extensions).not.toHaveProperty('response');
    expect(error?.extensions?.serviceName).toBe('intune');
    expect(harness.emulator.requests).toEqual([]);
  });

  it.each([
    ['none (as @apollo/gateway sends)', undefined, 200, 'application/json'],
    [
      'Apollo Router’s',
      'application/json, application/graphql-response+json',
      200,
      'application/json',
    ],
    [
      'Apollo Client’s',
      'application/graphql-response+json,application/json;q=0.9',
      400,
      'application/graphql-response+json',
    ],
  ])('asked straight with Accept %s (%s): HTTP %i, %s', async (_name, accept, status, type) => {
    const response = await fetch(harness.gateway.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(accept ? { accept } : {}),
        ...AUTH,
      },
      body: JSON.stringify({ query: UPDATE_MUTATION, variables: { input: badInput } }),
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe(`${type}; charset=utf-8`);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors.map((error) => error.extensions.code)).toEqual(['BAD_USER_INPUT']);
    expect(harness.emulator.requests).toEqual([]);
  });

  // The answer's type is chosen by Apollo for every other answer: the plugin's choice must be the same.
  it.each([
    [undefined],
    ['*/*'],
    ['application/*'],
    ['application/json'],
    ['application/graphql-response+json'],
    ['application/json, application/graphql-response+json'],
    ['application/graphql-response+json, application/json'],
    ['application/graphql-response+json,application/json;q=0.9'],
    ['application/json;q=0.5, */*'],
    ['text/html, application/json;q=0.1'],
    ['application/*, application/graphql-response+json'],
    ['application/json; charset="UTF-8"'],
    ['application/json;charset=latin1'],
    ['text/html'],
  ])('Accept %j: the same type Apollo gives a good answer (or none: 406)', async (accept) => {
    const response = await fetch(harness.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    const type = responseTypeFor(accept);
    expect(response.status).toBe(type === null ? 406 : 200);
    if (type !== null) expect(response.headers.get('content-type')).toBe(`${type}; charset=utf-8`);
  });
});

const EDGES = /* GraphQL */ `
  query Edges($c: ID!, $after: String) {
    deviceConfigurationUserStatuses(deviceConfigurationId: $c, first: 2, after: $after) {
      edges {
        cursor
        node {
          id
          path
          deviceConfigurationId
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

interface EdgePage {
  edges: Array<{
    cursor: string;
    node: { id: string; path: string; deviceConfigurationId: string };
  }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe('Relay edges through the router, over an Intune-style list', () => {
  const ids = Array.from({ length: 7 }, (_, index) => `relay-${index}`);
  beforeEach(() => {
    harness.emulator.store.statusesOf(c).clear();
    for (const id of ids) harness.emulator.store.put(c, { id, status: 'compliant' });
  });

  const page = async (after: string | null): Promise<EdgePage> => {
    const { body } = await router.post(EDGES, { c, after }, AUTH);
    expect(body.errors).toBeUndefined();
    return body.data?.deviceConfigurationUserStatuses as EdgePage;
  };

  it('pages with the last edge’s cursor: every status once, the emulator’s skip tokens followed', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard += 1) {
      const current = await page(after);
      expect(current.edges.length).toBeLessThanOrEqual(2);
      seen.push(...current.edges.map((edge) => edge.node.id));
      expect(current.edges.every((edge) => edge.node.path === 'DEVICE_CONFIGURATION')).toBe(true);
      if (!current.pageInfo.hasNextPage) break;
      after = current.edges.at(-1)!.cursor;
    }
    expect(seen).toEqual(ids);
    // Intune ignored $top=2 (pages of 3): the gateway went on within each page, then followed skipCount tokens.
    const tokens = harness.emulator.requests.map((request) =>
      new URL(request.url, 'http://x').searchParams.get('$skiptoken'),
    );
    expect(tokens.filter(Boolean)).toEqual(
      expect.arrayContaining(['skipCount=3', 'skipCount=6']) as unknown,
    );
  });

  it('goes on right after a middle edge of a page', async () => {
    const first = await page(null);
    const second = await page(first.edges[0]!.cursor);
    expect(second.edges.map((edge) => edge.node.id)).toEqual(['relay-1', 'relay-2']);
  });
});
