import { configurationId, createEmulatorToken, userStatusId } from '../../emulator';
import type { EmulatorMode } from '../../emulator';
import { AUTH, UPDATE_MUTATION, startHarness, BULK_MUTATION } from '../helpers/harness';
import type { Harness } from '../helpers/harness';
import { LIST_QUERY as LIST } from '../helpers/documents';
import type { ListPage as Page } from '../helpers/documents';

/**
 * Issue 12: lists, errors and retries as real Intune answers them. Every list test runs against both of the
 * emulator's modes: friendly (Graph as documented) and intune ($top and $filter ignored, pages of 3, nextLinks
 * with ('ID') keys, upper-case GUIDs and $skiptoken=skipCount%3dN, JSON-in-message errors, 204 on PATCH).
 */
const c = configurationId('windows10-general');
const STATUSES = ['compliant', 'nonCompliant', 'error'] as const;

async function allPages(harness: Harness, variables: Record<string, unknown>): Promise<Page[]> {
  const pages: Page[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 50; guard += 1) {
    const { body } = await harness.gateway.gql(LIST, { c, ...variables, after }, AUTH);
    expect(body.errors).toBeUndefined();
    const page = body.data?.deviceConfigurationUserStatuses as Page;
    pages.push(page);
    if (!page.pageInfo.hasNextPage) return pages;
    after = page.pageInfo.endCursor;
  }
  throw new Error('paging did not end');
}

describe.each<[EmulatorMode]>([['friendly'], ['intune']])('lists in %s mode', (mode) => {
  let harness: Harness;
  const seeded: Array<{ id: string; status: string }> = [];
  beforeAll(async () => {
    harness = await startHarness({ emulator: { mode, quotas: { enabled: false } } });
  });
  afterAll(() => harness.close());
  beforeEach(() => {
    harness.emulator.reset();
    harness.emulator.store.userStatuses.get(c)?.clear();
    seeded.length = 0;
    for (let index = 0; index < 11; index += 1) {
      const status = STATUSES[index % 3]!;
      harness.emulator.store.put(c, { id: `user-${String(index).padStart(2, '0')}`, status });
      seeded.push({ id: `user-${String(index).padStart(2, '0')}`, status });
    }
  });

  it('first: 2 yields every status exactly once and no page over 2', async () => {
    const pages = await allPages(harness, { first: 2 });
    const ids = pages.flatMap((page) => page.nodes.map((node) => node.id));
    expect(pages.every((page) => page.nodes.length <= 2)).toBe(true);
    expect(ids.sort()).toEqual(seeded.map((status) => status.id).sort());
    const sent = harness.emulator.requests.map(
      (request) => new URL(request.url, 'http://x').searchParams,
    );
    expect(sent.every((params) => params.get('$top') === '2')).toBe(true);
  });

  it('status: only matching nodes, each once, whatever Graph does with $filter', async () => {
    const pages = await allPages(harness, { first: 2, status: 'NON_COMPLIANT' });
    const nodes = pages.flatMap((page) => page.nodes);
    expect(nodes.every((node) => node.status === 'NON_COMPLIANT')).toBe(true);
    expect(nodes.map((node) => node.id).sort()).toEqual(
      seeded.filter((status) => status.status === 'nonCompliant').map((status) => status.id),
    );
    // The last edge's cursor (Relay): nothing matching follows it.
    expect(pages.at(-1)?.pageInfo).toEqual({
      hasNextPage: false,
      endCursor: expect.any(String) as unknown,
    });
    const filters = harness.emulator.requests.map((request) =>
      new URL(request.url, 'http://x').searchParams.get('$filter'),
    );
    expect(filters.every((filter) => filter === "status eq 'nonCompliant'")).toBe(true);
  });
});

describe('Intune specifics', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      emulator: { mode: 'intune', quotas: { enabled: false } },
      // The 3 s base as Microsoft's SDK uses it, capped at 3 s so the one real-time retry test waits exactly that;
      // a 429 without Retry-After holds a whole quota window (docs/quotas.md): a 3 s one (3.5 s with its margin).
      env: {
        GRAPH_QUOTA_WINDOW_MS: '3000',
        GRAPH_RETRY_BASE_DELAY_MS: '3000',
        GRAPH_MAX_RETRY_DELAY_MS: '3000',
        GRAPH_DEADLINE_MS: '20000',
      },
    });
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.emulator.reset());

  it('follows Intune-style nextLinks (key in parentheses, upper-case GUID, $skiptoken=skipCount%3dN)', async () => {
    for (let index = 0; index < 8; index += 1)
      harness.emulator.store.put(c, { id: `extra-${index}`, status: 'error' });
    const pages = await allPages(harness, { first: 3 });
    expect(pages.length).toBeGreaterThan(2);
    const followed = harness.emulator.requests.slice(1).map((request) => request.url);
    expect(followed.every((url) => /\$skiptoken=skipCount%3[dD]\d+/.test(url))).toBe(true);
    // The gateway sends its own path and options again: the link's spelling never reaches Graph.
    expect(
      followed.every((url) => url.includes(`/deviceConfigurations/${c}/userStatuses?$top=3`)),
    ).toBe(true);
  });

  it('a list that refuses $filter (400) is filtered by the gateway, and $filter is not sent again', async () => {
    harness.emulator.configure({ filter: 'reject' });
    const first = await harness.gateway.gql(LIST, { c, first: 50, status: 'COMPLIANT' }, AUTH);
    expect(first.body.errors).toBeUndefined();
    const before = harness.emulator.requests.length;
    const second = await harness.gateway.gql(LIST, { c, first: 50, status: 'COMPLIANT' }, AUTH);
    expect(second.body.errors).toBeUndefined();
    const later = harness.emulator.requests.slice(before);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((request) => !request.url.includes('$filter'))).toBe(true);
    const nodes = (second.body.data?.deviceConfigurationUserStatuses as Page).nodes;
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes.every((node) => node.status === 'COMPLIANT')).toBe(true);
  });

  it('an Intune-wrapped error is readable, with its activity id, and mapped by status', async () => {
    const { body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      { input: { deviceConfigurationId: c, userStatusId: 'no-such-user', status: 'COMPLIANT' } },
      { ...AUTH, 'client-request-id': '11111111-2222-4333-8444-555555555555' },
    );
    const error = body.errors?.[0];
    expect(error?.extensions?.code).toBe('NOT_FOUND');
    const graph = error?.extensions?.graph as Record<string, unknown>;
    expect(graph.code).toBe('InternalError');
    expect(graph.message).not.toMatch(/_version|\{/);
    expect(graph.activityId).toBe('11111111-2222-4333-8444-555555555555');
  });

  it('PATCH answered 204 is read back with one GET', async () => {
    const s = userStatusId('windows10-general', 0);
    const { body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      { input: { deviceConfigurationId: c, userStatusId: s, status: 'REMEDIATED' } },
      AUTH,
    );
    expect(body.errors).toBeUndefined();
    expect(harness.emulator.requests.map((request) => request.method)).toEqual(['PATCH', 'GET']);
  });

  it('the uncast rootCertificate path refused by Graph names the variants to use instead', async () => {
    const { body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      {
        input: {
          path: 'ROOT_CERTIFICATE',
          deviceConfigurationId: configurationId('ios-scep'),
          userStatusId: userStatusId('ios-root', 0),
          status: 'COMPLIANT',
        },
      },
      AUTH,
    );
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(
      /IOS_SCEP_ROOT_CERTIFICATE or MACOS_SCEP_ROOT_CERTIFICATE/,
    );
  });

  it('a 429 without Retry-After is retried after at least 3 s, with Retry-Attempt: 1', async () => {
    harness.emulator.faults.add({ method: 'PATCH', status: 429, times: 1 });
    const s = userStatusId('windows10-general', 1);
    const { body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      { input: { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' } },
      AUTH,
    );
    expect(body.errors).toBeUndefined();
    const [first, second] = harness.emulator.requests;
    expect(first?.headers['retry-after']).toBeUndefined();
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(3000);
    expect(second?.headers['retry-attempt']).toBe('1');
  }, 15_000);
});

describe('$batch as Intune answers it', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      emulator: { mode: 'intune', quotas: { enabled: false } },
      env: { GRAPH_RETRY_BASE_DELAY_MS: '10' },
    });
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.emulator.reset());

  it('a throttled batch is re-sent with Retry-Attempt: 1; a failed item reports its own request id', async () => {
    harness.emulator.faults.add({
      method: 'PATCH',
      path: 'user-a',
      status: 429,
      retryAfter: '0.05',
      times: 1,
    });
    const inputs = ['user-a', 'no-such-user', userStatusId('windows10-general', 2)].map((id) => ({
      deviceConfigurationId: c,
      userStatusId: id,
      status: 'COMPLIANT',
    }));
    harness.emulator.store.put(c, { id: 'user-a', status: 'error' });
    const { body } = await harness.gateway.gql(BULK_MUTATION, { inputs }, AUTH);
    const results = body.data?.updateDeviceConfigurationUserStatuses as Array<{
      userStatus: unknown;
      error: { code: string; requestId: string | null } | null;
    }>;
    expect(results[0]?.error).toBeNull();
    expect(results[1]?.error?.code).toBe('NOT_FOUND');
    const batches = harness.emulator.requests.filter((request) => request.url.endsWith('/$batch'));
    expect(batches[0]?.headers['retry-attempt']).toBeUndefined();
    expect(batches[1]?.headers['retry-attempt']).toBe('1');
    // The envelopes' request ids, as the gateway logged each Graph call.
    const envelopeIds = harness.gateway.logs
      .map((line) => JSON.parse(line) as { graph?: { variant?: string; requestId?: string } })
      .filter((line) => line.graph?.variant === 'BATCH')
      .map((line) => line.graph?.requestId);
    expect(envelopeIds.length).toBeGreaterThanOrEqual(2);
    expect(results[1]?.error?.requestId).toEqual(expect.any(String));
    expect(envelopeIds).not.toContain(results[1]?.error?.requestId);
  });
});

describe("Intune's throttling, as strict as Intune, met by the gateway's retries", () => {
  let harness: Harness;
  const TENANT = 'fidelity-tenant';
  const token = createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], {
    tid: TENANT,
    appid: 'fidelity-app',
  });
  beforeAll(async () => {
    harness = await startHarness({
      emulator: {
        mode: 'intune',
        quotas: { windowMs: 1000, appWrites: 2, tenantWrites: 4, appCalls: 20, tenantCalls: 40 },
      },
      // The gateway's own pacing is off: the emulator alone throttles, and the gateway's retries meet it.
      env: { GRAPH_QUOTAS: 'off', GRAPH_DEADLINE_MS: '20000' },
    });
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.emulator.reset());

  it('items refused with a whole-second Retry-After are re-sent after it, never while held', async () => {
    const ids = ['throttled-0', 'throttled-1', 'throttled-2', 'throttled-3'];
    for (const id of ids) harness.emulator.store.put(c, { id, status: 'error' });
    const inputs = ids.map((id) => ({
      deviceConfigurationId: c,
      userStatusId: id,
      status: 'COMPLIANT',
    }));
    const { body } = await harness.gateway.gql(
      BULK_MUTATION,
      { inputs },
      {
        authorization: `Bearer ${token}`,
      },
    );
    const results = body.data?.updateDeviceConfigurationUserStatuses as Array<{ error: unknown }>;
    expect(results.map((result) => result.error)).toEqual([null, null, null, null]);
    const calls = harness.emulator.calls.filter((call) => call.kind === 'write');
    const refused = calls.filter((call) => call.refused);
    expect([calls.length, refused.length]).toEqual([6, 2]);
    // Each re-sent item came once its refusal's Retry-After (1 s, whole seconds) was over: nothing extended the hold.
    const lastRefusal = Math.max(...refused.map((call) => call.at));
    const after = calls.filter((call) => call.at > lastRefusal);
    expect(after.map((call) => call.refused)).toEqual([false, false]);
    expect(after.every((call) => call.at >= lastRefusal + 1000)).toBe(true);
    // Intune counts the two refusals: with its pacing off the gateway went over by exactly those.
    expect(harness.emulator.overLimit({ tenant: TENANT }).over).toBe(2);
  });
});
