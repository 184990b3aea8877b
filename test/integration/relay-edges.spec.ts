import { configurationId } from '../../emulator';
import type { EmulatorMode } from '../../emulator';
import { AUTH, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

/**
 * Relay edges over Graph's paging, in both of the emulator's modes: friendly (`$top` honoured) and intune (`$top`
 * and `$filter` ignored, pages of 3, Intune's nextLinks). Each edge's cursor stands right after its node, even
 * inside a Graph page larger than `first`, and `after: <edge cursor>` goes on from there, nothing lost or repeated.
 */
const LIST = /* GraphQL */ `
  query Edges($c: ID!, $first: Int, $after: String, $status: ComplianceStatus) {
    deviceConfigurationUserStatuses(
      deviceConfigurationId: $c
      first: $first
      after: $after
      status: $status
    ) {
      edges {
        cursor
        node {
          id
          path
          deviceConfigurationId
        }
      }
      nodes {
        id
      }
      pageInfo {
        hasNextPage
        startCursor
        endCursor
      }
    }
  }
`;
const c = configurationId('windows10-general');
const other = configurationId('windows10-vpn');
const STATUSES = ['compliant', 'nonCompliant', 'error'] as const;

interface Edge {
  cursor: string;
  node: { id: string; path: string; deviceConfigurationId: string };
}
interface Page {
  edges: Edge[];
  nodes: Array<{ id: string }>;
  pageInfo: { hasNextPage: boolean; startCursor: string | null; endCursor: string | null };
}

describe.each<[EmulatorMode]>([['friendly'], ['intune']])('Relay edges in %s mode', (mode) => {
  let harness: Harness;
  const seeded: Array<{ id: string; status: string }> = [];
  beforeAll(async () => {
    harness = await startHarness({ emulator: { mode, quotas: { enabled: false } } });
  });
  afterAll(() => harness.close());
  beforeEach(() => {
    harness.emulator.reset();
    harness.emulator.store.statusesOf(c).clear();
    seeded.length = 0;
    for (let index = 0; index < 8; index += 1) {
      const status = { id: `user-${index}`, status: STATUSES[index % 3]! };
      harness.emulator.store.put(c, status);
      seeded.push(status);
    }
  });

  const page = async (variables: Record<string, unknown>): Promise<Page> => {
    const { body } = await harness.gateway.gql(LIST, { c, ...variables }, AUTH);
    expect(body.errors).toBeUndefined();
    return body.data?.deviceConfigurationUserStatuses as Page;
  };

  /** Every edge of the list from `after`, page by page through endCursor, and how many Graph calls it took. */
  async function allEdges(variables: Record<string, unknown>, from: string | null = null) {
    const edges: Edge[] = [];
    let after = from;
    let pages = 0;
    let empty = 0;
    const sent = harness.emulator.requests.length;
    for (; pages < 30; pages += 1) {
      const current = await page({ ...variables, after });
      expect(current.edges.map((edge) => edge.node.id)).toEqual(
        current.nodes.map((node) => node.id),
      );
      expect(current.pageInfo.startCursor).toBe(current.edges[0]?.cursor ?? null);
      if (current.edges.length > 0)
        expect(current.pageInfo.endCursor).toBe(current.edges.at(-1)!.cursor);
      edges.push(...current.edges);
      if (current.edges.length === 0) empty += 1;
      after = current.pageInfo.endCursor;
      if (!current.pageInfo.hasNextPage) break;
    }
    return { edges, pages: pages + 1, empty, graphCalls: harness.emulator.requests.length - sent };
  }

  it.each([
    ['every status', undefined, 8],
    ['status: NON_COMPLIANT (Intune ignores $filter: the gateway filters)', 'NON_COMPLIANT', 3],
  ])('%s: each edge cursor goes on right after its node', async (_name, status, count) => {
    const { edges, pages, empty, graphCalls } = await allEdges({ first: 2, status });
    const expected = seeded
      .filter((item) => !status || item.status === 'nonCompliant')
      .map((item) => item.id);
    expect(edges.map((edge) => edge.node.id)).toEqual(expected);
    expect(edges).toHaveLength(count);
    // Edges cost no Graph call of their own: one GET per GraphQL page. Every Graph page of this seed holds a
    // match, so no page comes back empty: a cursor after a page's last match goes to Graph's next page.
    expect(graphCalls).toBe(pages);
    expect(empty).toBe(0);
    // From any edge, the rest of the list: a page may end early at a Graph page's end (one Graph call a page).
    for (const [index, edge] of edges.entries()) {
      const rest = await allEdges({ first: 2, status }, edge.cursor);
      expect(rest.edges.map((item) => item.node.id)).toEqual(expected.slice(index + 1));
    }
  });

  it('each node carries where it was read from', async () => {
    const { edges } = await allEdges({ first: 3 });
    expect(
      new Set(edges.map((edge) => `${edge.node.path} ${edge.node.deviceConfigurationId}`)),
    ).toEqual(new Set([`DEVICE_CONFIGURATION ${c}`]));
  });

  it('an edge cursor of one list is refused on another, and nothing reaches Graph', async () => {
    const [edge] = (await page({ first: 2 })).edges;
    const sent = harness.emulator.requests.length;
    const { body } = await harness.gateway.gql(LIST, { c: other, after: edge!.cursor }, AUTH);
    expect(body.errors?.[0]).toMatchObject({
      message: 'after is not a cursor for this list.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(harness.emulator.requests.length).toBe(sent);
  });
});
