import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, TOKEN, UPDATE_MUTATION, waitFor } from '../helpers/harness';
import { useTracedHarness } from '../helpers/tracing';

const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
const update = { input: { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' } };

const { exporter, harness, origin } = useTracedHarness({ GRAPH_RETRY_BASE_DELAY_MS: '5' });

describe('health', () => {
  it('GET /healthz answers 200 and GET /readyz 200 while serving', async () => {
    const health = await fetch(`${origin()}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${origin()}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  });
});

describe('metrics', () => {
  it('GET /metrics counts operations, Graph calls, retries, throttles and batch sizes, without ids or tokens', async () => {
    harness().emulator.faults.add({ method: 'PATCH', status: 429, retryAfter: '0.01', times: 1 });
    await harness().gateway.gql(UPDATE_MUTATION, update, AUTH);
    await harness().gateway.gql(
      `query Two { a: deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "${s}") { id } b: deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "nope") { id } }`,
      undefined,
      AUTH,
    );
    const response = await fetch(`${origin()}/metrics`);
    const text = await response.text();

    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(text).toContain(
      'intune_gateway_graphql_operations_total{operation="UpdateUserStatus",type="mutation",outcome="ok"} 1',
    );
    expect(text).toContain(
      'intune_gateway_graphql_operations_total{operation="Two",type="query",outcome="NOT_FOUND"} 1',
    );
    expect(text).toMatch(
      /intune_gateway_graphql_operation_duration_seconds_count\{operation="UpdateUserStatus",type="mutation"\} 1/,
    );
    expect(text).toContain(
      'intune_gateway_graph_requests_total{method="PATCH",variant="DEVICE_CONFIGURATION",target="item",status="429"} 1',
    );
    expect(text).toContain(
      'intune_gateway_graph_requests_total{method="PATCH",variant="DEVICE_CONFIGURATION",target="item",status="200"} 1',
    );
    expect(text).toContain(
      'intune_gateway_graph_requests_total{method="POST",variant="BATCH",target="batch",status="200"} 1',
    );
    expect(text).toContain(
      'intune_gateway_graph_retries_total{method="PATCH",variant="DEVICE_CONFIGURATION",status="429"} 1',
    );
    expect(text).toContain(
      'intune_gateway_graph_throttled_total{method="PATCH",variant="DEVICE_CONFIGURATION"} 1',
    );
    expect(text).toContain('intune_gateway_graph_batch_size_sum 2');
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((match) => match[1]);
    // One prefix for the gateway's own metrics; Node's defaults keep their standard names.
    expect(names.filter((name) => !/^(intune_gateway_|process_|nodejs_)/.test(name ?? ''))).toEqual(
      [],
    );
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).not.toContain(c);
    expect(text).not.toContain(s);
    expect(text).not.toContain(TOKEN);
  });

  it('caps odd operation names', async () => {
    await harness().gateway.post({ query: '{ __typename }' }, AUTH);
    const text = await (await fetch(`${origin()}/metrics`)).text();
    expect(text).toContain(
      'intune_gateway_graphql_operations_total{operation="anonymous",type="query",outcome="ok"}',
    );
  });
});

describe('logs', () => {
  it('writes one JSON line per request with the operation, duration, error codes and Graph ids', async () => {
    const callerId = '3f1b6c2a-8d4e-4f5a-9b7c-1e2d3c4b5a69';
    harness().gateway.logs.length = 0;
    await harness().gateway.gql(
      `query Mixed { a: deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "nope") { id } }`,
      undefined,
      { ...AUTH, 'client-request-id': callerId },
    );
    const lines = harness().gateway.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const completed = lines.filter((line) => line.msg === 'request completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({
      level: 30,
      method: 'POST',
      url: '/graphql',
      statusCode: 200,
      durationMs: expect.any(Number) as unknown,
      operationName: 'Mixed',
      errorCodes: ['NOT_FOUND'],
      graphRequestIds: [expect.stringMatching(/^[0-9a-f-]{36}$/)],
      clientRequestId: callerId,
    });
    expect(harness().gateway.logs.join('\n')).not.toContain(TOKEN);
  });
});

describe('tracing', () => {
  it('continues the caller W3C trace with a span per operation and per Graph call', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await harness().gateway.gql(UPDATE_MUTATION, update, {
      ...AUTH,
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    // The request span ends after the response is sent.
    await waitFor(() =>
      exporter.getFinishedSpans().some((span) => span.name.startsWith('graphql ')),
    );

    const spans = exporter.getFinishedSpans();
    const operation = spans.find((span) => span.name === 'graphql mutation UpdateUserStatus');
    const upstream = spans.find((span) => span.name === 'graph PATCH DEVICE_CONFIGURATION');
    expect(operation?.spanContext().traceId).toBe(traceId);
    expect(operation?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(upstream?.spanContext().traceId).toBe(traceId);
    expect(upstream?.parentSpanContext?.spanId).toBe(operation?.spanContext().spanId);
    expect(upstream?.attributes).toMatchObject({
      'http.request.method': 'PATCH',
      'graph.variant': 'DEVICE_CONFIGURATION',
      'http.response.status_code': 200,
      'graph.attempts': 1,
      'graph.request_id': expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain(TOKEN);
  });
});
