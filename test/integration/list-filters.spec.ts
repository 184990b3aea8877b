import { configurationId } from '../../emulator';
import type { EmulatorMode } from '../../emulator';
import { AUTH, startGateway, startHarness } from '../helpers/harness';
import type { Gateway, Harness } from '../helpers/harness';
import { LIST_QUERY as LIST } from '../helpers/documents';
import type { ListPage as Page } from '../helpers/documents';

/**
 * What the gateway learns from a 400 to `$filter` is per process, per list variant, and never changes a list
 * being paged through: a cursor carries the filter its page was asked for with. Two replicas that learnt
 * differently (one saw Graph refuse `$filter`, one did not) must still page a list exactly, whichever of them
 * each page comes from: the emulator's paging token is an offset into the list it was asked for (filtered or
 * whole), as Graph's are, so a token continued under the other filter skips or repeats statuses. Both emulator
 * modes: friendly (Graph applies `$filter`) and intune (Intune ignores it, pages of 3, Intune's nextLinks), where
 * the same must hold.
 */
const c = configurationId('windows10-general');
const STATUSES = ['compliant', 'nonCompliant', 'error'] as const;

describe.each<[EmulatorMode]>([['friendly'], ['intune']])('lists in %s mode', (mode) => {
  let harness: Harness;
  let replica: Gateway;
  const nonCompliant: string[] = [];

  beforeAll(async () => {
    harness = await startHarness({ emulator: { mode, quotas: { enabled: false } } });
    replica = await startGateway({ GRAPH_BASE_URL: harness.emulator.baseUrl });
  });
  afterAll(async () => {
    await replica.close();
    await harness.close();
  });
  beforeEach(() => {
    harness.emulator.reset();
    harness.emulator.store.userStatuses.get(c)?.clear();
    nonCompliant.length = 0;
    for (let index = 0; index < 11; index += 1) {
      const id = `user-${String(index).padStart(2, '0')}`;
      harness.emulator.store.put(c, { id, status: STATUSES[index % 3]! });
      if (index % 3 === 1) nonCompliant.push(id);
    }
  });

  async function listPage(gateway: Gateway, variables: Record<string, unknown>) {
    const { status, body } = await gateway.gql(LIST, { c, ...variables }, AUTH);
    return { status, body, page: body.data?.deviceConfigurationUserStatuses as Page | undefined };
  }

  /** Graph's `$filter` on each list request the emulator received from now on. */
  function filtersSentSince(start: number): Array<string | null> {
    return harness.emulator.requests
      .slice(start)
      .map((request) => new URL(request.url, 'http://x').searchParams.get('$filter'));
  }

  /** The harness's gateway sees Graph refuse `$filter` once; the replica never does. */
  async function teachHarnessGatewayThatFilterIsRefused() {
    harness.emulator.configure({ filter: 'reject' });
    const taught = await listPage(harness.gateway, { first: 2, status: 'NON_COMPLIANT' });
    expect(taught.body.errors).toBeUndefined();
    // Back to what the mode's Graph does with it: applied (friendly), ignored (Intune).
    harness.emulator.configure({ filter: mode === 'intune' ? 'ignore' : 'apply' });
  }

  /** The non-compliant statuses' ids, `first` at a time, each page from the other gateway of the two. */
  async function idsPagedAlternately(gateways: readonly [Gateway, Gateway], first: number) {
    const ids: string[] = [];
    let after: string | null = null;
    for (let turn = 0; turn < 20; turn += 1) {
      const { body, page } = await listPage(gateways[turn % 2]!, {
        first,
        status: 'NON_COMPLIANT',
        after,
      });
      expect(body.errors).toBeUndefined();
      ids.push(...page!.nodes.map((node) => node.id));
      if (!page!.pageInfo.hasNextPage) break;
      after = page!.pageInfo.endCursor;
    }
    return ids;
  }

  it('pages alternating between a replica that filters alone and one that sends $filter: each status once', async () => {
    await teachHarnessGatewayThatFilterIsRefused();
    const start = harness.emulator.requests.length;
    expect(await idsPagedAlternately([harness.gateway, replica], 2)).toEqual(nonCompliant);
    // Every page was asked for as the list's first page was: without $filter (the first replica had learnt).
    const filters = filtersSentSince(start);
    expect(filters.length).toBeGreaterThan(2);
    expect(filters.every((filter) => filter === null)).toBe(true);
  });

  it('a list begun on the replica with $filter keeps it on the gateway that filters alone', async () => {
    await teachHarnessGatewayThatFilterIsRefused();
    const start = harness.emulator.requests.length;
    expect(await idsPagedAlternately([replica, harness.gateway], 1)).toEqual(nonCompliant);
    const filters = filtersSentSince(start);
    // One Graph page per GraphQL page where Graph applies $filter; Intune's pages of 3 hold other statuses too.
    if (mode === 'friendly') expect(filters).toHaveLength(nonCompliant.length);
    else expect(filters.length).toBeGreaterThanOrEqual(nonCompliant.length);
    expect(filters.every((filter) => filter === "status eq 'nonCompliant'")).toBe(true);
  });

  it('a filtered cursor given with another status is a client mistake, and Graph is not called', async () => {
    const first = await listPage(replica, { first: 1, status: 'NON_COMPLIANT' });
    const after = first.page!.pageInfo.endCursor;
    const start = harness.emulator.requests.length;
    const { status, body } = await listPage(replica, { first: 1, status: 'COMPLIANT', after });
    expect(status).toBe(200);
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]).toMatchObject({
      message: 'after is a cursor for a list with another status.',
      extensions: { code: 'BAD_USER_INPUT', argument: 'after' },
    });
    expect(harness.emulator.requests.length).toBe(start);
  });

  it('a refusal of $filter on one list variant leaves the others filtered by Graph', async () => {
    await teachHarnessGatewayThatFilterIsRefused();
    const start = harness.emulator.requests.length;
    const other = await listPage(harness.gateway, {
      path: 'IOS_SCEP_ROOT_CERTIFICATE',
      c: configurationId('ios-scep'),
      first: 2,
      status: 'NON_COMPLIANT',
    });
    expect(other.body.errors).toBeUndefined();
    expect(filtersSentSince(start)).toEqual(["status eq 'nonCompliant'"]);
  });

  /** A cursor as gateways wrote them before cursors said how their page was asked for: no `f`. */
  function withoutFilter(cursor: string | null): string | null {
    if (cursor === null) return null;
    const { f: _filter, ...payload } = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  }

  it('a cursor given out before cursors carried their filter pages on as those gateways did (a rolling upgrade)', async () => {
    const ids: string[] = [];
    let after: string | null = null;
    for (let turn = 0; turn < 20; turn += 1) {
      const { body, page } = await listPage(replica, { first: 1, status: 'NON_COMPLIANT', after });
      expect(body.errors).toBeUndefined();
      ids.push(...page!.nodes.map((node) => node.id));
      if (!page!.pageInfo.hasNextPage) break;
      after = withoutFilter(page!.pageInfo.endCursor);
    }
    expect(ids).toEqual(nonCompliant);
  });
});
