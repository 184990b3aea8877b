import { configurationId, userStatusId } from '../../src/emulator';
import { AUTH, GET_QUERY, TOKEN, startHarness } from '../helpers/harness';
import { startProxy } from '../helpers/proxyProcess';
import type { ProxyProcess } from '../helpers/proxyProcess';

/** The whole gateway behind a real egress proxy (the `proxy` package in its own process), over real HTTP. */
const CREDENTIALS = 'egress:pa55-w0rd';
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);

let proxy: ProxyProcess;
beforeAll(async () => {
  proxy = await startProxy({ credentials: CREDENTIALS });
});
afterAll(() => proxy.stop());

it('GRAPH_PROXY_URL with credentials: Graph calls go through the proxy, and the credentials appear in no log line', async () => {
  const harness = await startHarness({
    env: { GRAPH_PROXY_URL: proxy.origin.replace('://', `://${CREDENTIALS}@`) },
  });
  try {
    const { body } = await harness.gateway.gql(GET_QUERY, { c, s }, AUTH);
    expect(body.errors).toBeUndefined();
    const records = await proxy.recordsSoFar();
    expect(
      records.some((record) => record.url.includes(`/userStatuses/${s}`) && record.authorized),
    ).toBe(true);
    expect(harness.gateway.logs.join('\n')).not.toContain('pa55-w0rd');
  } finally {
    await harness.close();
  }
});

it('a proxy that refuses the credentials → UPSTREAM_UNAVAILABLE naming the proxy, and nothing reaches Graph', async () => {
  const harness = await startHarness({
    env: { GRAPH_PROXY_URL: proxy.origin.replace('://', '://egress:wrong@') },
  });
  try {
    const { body } = await harness.gateway.gql(GET_QUERY, { c, s }, AUTH);
    expect(body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(body.errors?.[0]?.message).toMatch(/egress proxy refused the connection \(407/);
    expect(JSON.stringify(body)).not.toMatch(/wrong|pa55|egress:/);
    expect(harness.emulator.requests).toHaveLength(0);
    expect(JSON.stringify(body)).not.toContain(TOKEN);
  } finally {
    await harness.close();
  }
});

it('NO_PROXY covering Graph bypasses HTTP_PROXY', async () => {
  const before = (await proxy.recordsSoFar()).length;
  const harness = await startHarness({ env: { HTTP_PROXY: proxy.origin, NO_PROXY: '127.0.0.1' } });
  try {
    const { body } = await harness.gateway.gql(GET_QUERY, { c, s }, AUTH);
    expect(body.errors).toBeUndefined();
    expect((await proxy.recordsSoFar()).length).toBe(before);
    expect(harness.emulator.requests).toHaveLength(1);
  } finally {
    await harness.close();
  }
});
