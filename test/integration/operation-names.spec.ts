import { freePort } from '../../bench/lib';
import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, UPDATE_MUTATION, startGateway } from '../helpers/harness';
import { useTracedHarness } from '../helpers/tracing';
import { waitFor } from '../helpers/wait';

const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);

const { exporter, harness, origin } = useTracedHarness();
const metricsText = async () => (await fetch(`${origin()}/metrics`)).text();

/** A JWT-shaped token that expired an hour ago: Graph (the emulator) answers 401 to it. */
function expiredToken(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) - 3600;
  return `${part({ alg: 'none' })}.${part({ exp, scp: 'DeviceManagementConfiguration.ReadWrite.All' })}.sig`;
}

describe('a 45,000-character operation name', () => {
  const name = 'N'.repeat(45_000);

  it('is cut to 100 characters in the log line and the span, and is no metric label', async () => {
    harness().gateway.logs.length = 0;
    const { status } = await harness().gateway.gql(`query ${name} { __typename }`);
    expect(status).toBe(200);
    // The request span ends after the response is sent.
    await waitFor(() =>
      exporter.getFinishedSpans().some((span) => span.name.startsWith('graphql ')),
    );

    const completed = harness()
      .gateway.logs.map((line) => JSON.parse(line) as { msg: string; operationName?: string })
      .filter((line) => line.msg === 'request completed');
    expect(completed.map((line) => line.operationName)).toEqual([`${'N'.repeat(100)}…`]);
    expect(Math.max(...harness().gateway.logs.map((line) => line.length))).toBeLessThan(2000);

    const spans = exporter.getFinishedSpans().filter((span) => span.name.startsWith('graphql '));
    expect(spans.map((span) => span.name)).toEqual([`graphql query ${'N'.repeat(100)}…`]);
    expect(spans[0]?.attributes['graphql.operation.name']).toBe(`${'N'.repeat(100)}…`);

    const text = await metricsText();
    expect(text).not.toContain('N'.repeat(65));
    expect(text).toContain(
      'intune_gateway_graphql_operations_total{operation="invalid",type="query",outcome="ok"} 1',
    );
  });
});

describe('junk operation names cannot take the metric labels', () => {
  it('110 names without a token and 10 with a token Graph refuses count as other; real operations keep their names', async () => {
    const forged = { authorization: `Bearer ${expiredToken()}` };
    const junk = Array.from(
      { length: 110 },
      (_, i) => () => harness().gateway.gql(`query Junk${i} { __typename }`),
    );
    const refused = Array.from(
      { length: 10 },
      (_, i) => () =>
        harness().gateway.gql(
          `query Forged${i} { deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "${s}") { id } }`,
          undefined,
          forged,
        ),
    );
    const calls = [...junk, ...refused];
    for (let i = 0; i < calls.length; i += 10)
      await Promise.all(calls.slice(i, i + 10).map((call) => call()));
    expect(harness().emulator.requests.filter((request) => request.method === 'GET')).toHaveLength(
      10,
    );

    const update = { input: { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' } };
    const { body } = await harness().gateway.gql(UPDATE_MUTATION, update, AUTH);
    expect(body.errors).toBeUndefined();

    const text = await metricsText();
    expect(text).not.toMatch(/operation="(Junk|Forged)\d+"/);
    expect(text).toContain(
      'intune_gateway_graphql_operations_total{operation="other",type="query",outcome="ok"} 110',
    );
    expect(text).toContain(
      'intune_gateway_graphql_operations_total{operation="other",type="query",outcome="UNAUTHENTICATED"} 10',
    );
    expect(text).toContain(
      'intune_gateway_graphql_operations_total{operation="UpdateUserStatus",type="mutation",outcome="ok"} 1',
    );
  });
});

describe('a Graph outage does not open the metric labels to unproven tokens', () => {
  it('names sent with a token Graph never accepted, answered 500 or 502 with a request id, count as other', async () => {
    harness().emulator.reset();
    const forged = { authorization: `Bearer ${expiredToken()}` };
    const read = (name: string, auth: Record<string, string>) =>
      harness().gateway.gql(
        `query ${name} { deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "${s}") { id } }`,
        undefined,
        auth,
      );
    // Graph's front end answers before it reads the token: a 500, then a 502, each with a request id.
    harness().emulator.faults.add({ method: 'GET', path: '/userStatuses/', status: 500, times: 5 });
    for (let i = 0; i < 5; i += 1) await read(`Outage${i}`, forged);
    harness().emulator.faults.add({ method: 'GET', path: '/userStatuses/', status: 502, times: 5 });
    for (let i = 0; i < 5; i += 1) await read(`Busy${i}`, forged);
    expect(harness().emulator.requests.filter((request) => request.method === 'GET')).toHaveLength(
      10,
    );
    // A token Graph accepts still takes a slot for its name.
    const { body } = await read('RealDashboardQuery', AUTH);
    expect(body.errors).toBeUndefined();

    const text = await metricsText();
    expect(text).not.toMatch(/operation="(Outage|Busy)\d+"/);
    expect(text).toMatch(
      /operations_total\{operation="other",type="query",outcome="UPSTREAM_ERROR"\} 10\n/,
    );
    expect(text).toContain(
      'intune_gateway_graphql_operations_total{operation="RealDashboardQuery",type="query",outcome="ok"} 1',
    );
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics on its own port and not on the gateway port; the port closes with the gateway', async () => {
    const port = await freePort();
    const gateway = await startGateway({
      GRAPH_BASE_URL: harness().emulator.baseUrl,
      METRICS_PORT: String(port),
    });
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    try {
      await gateway.gql('query Ping { __typename }');
      const main = await fetch(gateway.url.replace(/\/graphql$/, '/metrics'));
      expect(main.status).toBe(404);
      const separate = await fetch(metricsUrl);
      expect(separate.status).toBe(200);
      expect(separate.headers.get('content-type')).toContain('text/plain');
      expect(await separate.text()).toContain(
        'intune_gateway_graphql_operations_total{operation="other",type="query",outcome="ok"} 1',
      );
      const other = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(other.status).toBe(404);
    } finally {
      await gateway.close();
    }
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});
