import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { configurationId, userStatusId } from '../../emulator/store';
import {
  AUTH,
  GET_QUERY,
  TOKEN,
  UPDATE_MUTATION,
  startGateway,
  startHarness,
} from '../helpers/harness';
import type { Harness } from '../helpers/harness';

const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
const update = { input: { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' } };

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

let harness: Harness;
beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  harness = await startHarness({
    env: {
      GRAPH_TIMEOUT_MS: '400',
      GRAPH_DEADLINE_MS: '3000',
      GRAPH_RETRY_BASE_DELAY_MS: '20',
      GRAPH_MAX_RETRY_DELAY_MS: '2500',
      // Small, so the oversized answer is 100 KB rather than 6 MB: built and written within the 400-ms attempt
      // even on a busy machine (a 6-MB body timed out under the full suite's load).
      GRAPH_MAX_RESPONSE_BYTES: String(64 * 1024),
      // These tests are about the retry loop; a 429 would also hold the caller's tenant for later tests
      // (test/integration/quota-pacing.spec.ts covers that interplay).
      GRAPH_QUOTAS: 'off',
    },
  });
});
afterAll(async () => {
  await harness.close();
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});
beforeEach(() => harness.emulator.reset());

/** After any fault, the gateway still answers a plain call. */
async function expectStillServing(): Promise<void> {
  harness.emulator.faults.clear();
  const { body } = await harness.gateway.gql(GET_QUERY, { c, s }, AUTH);
  expect(body.errors).toBeUndefined();
}

describe('retries', () => {
  it('429 with Retry-After: 1 then 200 → success, two calls, the second ≥ 1 s after the first', async () => {
    harness.emulator.faults.add({ method: 'PATCH', status: 429, retryAfter: '1', times: 1 });
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);

    expect(body.errors).toBeUndefined();
    expect(body.data?.updateDeviceConfigurationUserStatus).toMatchObject({
      userStatus: { status: 'COMPLIANT' },
    });
    const [first, second, ...rest] = harness.emulator.requests;
    expect(rest).toHaveLength(0);
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(first?.headers['retry-attempt']).toBeUndefined();
    expect(second?.headers['retry-attempt']).toBe('1');
    expect(second?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(second?.headers['client-request-id']).toBe(first?.headers['client-request-id']);
    expect(second?.body).toBe(first?.body);
  });

  it('503 four times → UPSTREAM_ERROR after exactly 4 calls', async () => {
    harness.emulator.faults.add({ status: 503 });
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'UPSTREAM_ERROR',
      graph: { status: 503 },
    });
    expect(harness.emulator.requests).toHaveLength(4);
    expect(harness.emulator.requests.map((r) => r.headers['retry-attempt'])).toEqual([
      undefined,
      '1',
      '2',
      '3',
    ]);
  });

  it('N failures before success: 504 twice, then the write lands', async () => {
    harness.emulator.faults.add({ method: 'PATCH', status: 504, times: 2 });
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    expect(body.errors).toBeUndefined();
    expect(harness.emulator.requests).toHaveLength(3);
  });

  it('a Retry-After longer than the maximum wait returns at once with retryAfterSeconds', async () => {
    harness.emulator.faults.add({ status: 429, retryAfter: '60' });
    const started = Date.now();
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'THROTTLED',
      retryAfterSeconds: 60,
    });
    expect(harness.emulator.requests).toHaveLength(1);
    // Not the 60 s Graph asked for: the gateway answers instead of waiting.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('500 and 502 are never retried', async () => {
    harness.emulator.faults.add({ status: 500, times: 1 });
    harness.emulator.faults.add({ status: 502, times: 1 });
    await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    expect(harness.emulator.requests).toHaveLength(2);
  });
});

describe('deadlines and cancellation', () => {
  it('a hang → UPSTREAM_TIMEOUT within the per-attempt timeout, not retried', async () => {
    harness.emulator.faults.add({ hang: true });
    const started = Date.now();
    const { body } = await harness.gateway.gql(GET_QUERY, { c, s }, AUTH);
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(harness.emulator.requests).toHaveLength(1);
    await expectStillServing();
  });

  it('the operation deadline bounds slow retries', async () => {
    harness.emulator.faults.add({ status: 503, delayMs: 350 });
    const gateway = await startGateway({
      GRAPH_BASE_URL: harness.emulator.baseUrl,
      GRAPH_DEADLINE_MS: '500',
      GRAPH_RETRY_BASE_DELAY_MS: '1',
      GRAPH_MAX_RETRIES: '10',
    });
    try {
      const started = Date.now();
      const { body } = await gateway.gql(GET_QUERY, { c, s }, AUTH);
      expect(Date.now() - started).toBeLessThan(1200);
      expect(['UPSTREAM_ERROR', 'UPSTREAM_TIMEOUT']).toContain(body.errors?.[0]?.extensions?.code);
      expect(harness.emulator.requests.length).toBeLessThanOrEqual(2);
    } finally {
      await gateway.close();
    }
  });

  it('a client that disconnects cancels its upstream call', async () => {
    harness.emulator.faults.add({ hang: true });
    const aborted = new AbortController();
    const call = fetch(harness.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ query: GET_QUERY, variables: { c, s } }),
      signal: aborted.signal,
    }).catch((error: unknown) => error);
    await waitFor(() => harness.emulator.requests.length === 1);
    aborted.abort();
    await call;
    await waitFor(() => harness.emulator.requests[0]?.closedBeforeAnswer === true);
    expect(harness.emulator.requests).toHaveLength(1);
    await expectStillServing();
  });
});

describe('upstream faults', () => {
  it.each([
    {
      name: 'a reset before the headers, every time',
      fault: { reset: 'before-headers' },
      code: 'UPSTREAM_UNAVAILABLE',
      calls: 4,
    },
    {
      name: 'a reset in the middle of the body',
      fault: { reset: 'mid-body', status: 200 },
      code: 'UPSTREAM_ERROR',
      calls: 1,
    },
    {
      name: 'HTML on a 200',
      fault: { status: 200, body: 'html' },
      code: 'UPSTREAM_ERROR',
      calls: 1,
    },
    {
      name: 'truncated JSON on a 200',
      fault: { status: 200, body: 'truncated' },
      code: 'UPSTREAM_ERROR',
      calls: 1,
    },
    {
      name: 'a JSON array on a 200',
      fault: { status: 200, body: 'array' },
      code: 'UPSTREAM_ERROR',
      calls: 1,
    },
    {
      name: 'a body over GRAPH_MAX_RESPONSE_BYTES',
      fault: { status: 200, body: 'oversized', size: 100 * 1024 },
      code: 'UPSTREAM_ERROR',
      calls: 1,
    },
  ] as const)('$name → $code after $calls call(s)', async ({ fault, code, calls }) => {
    harness.emulator.faults.add(fault);
    const { status, body } = await harness.gateway.gql(GET_QUERY, { c, s }, AUTH);
    expect(status).toBe(200);
    expect(body.data).toEqual({ deviceConfigurationUserStatus: null });
    // Where Graph answered a whole (unusable) body, its status and request id come along; otherwise nothing.
    const answered = fault.status === 200 && 'body' in fault && fault.body !== 'oversized';
    expect(body.errors?.[0]?.extensions).toEqual(
      answered
        ? {
            code,
            graph: expect.objectContaining({
              status: 200,
              requestId: expect.any(String) as unknown,
            }) as unknown,
          }
        : { code },
    );
    expect(harness.emulator.requests).toHaveLength(calls);
    await expectStillServing();
  });

  it('a reset before the headers once is retried and succeeds', async () => {
    harness.emulator.faults.add({ method: 'PATCH', reset: 'before-headers', times: 1 });
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
    expect(body.errors).toBeUndefined();
    expect(harness.emulator.requests).toHaveLength(2);
  });

  it('an unresolvable host → UPSTREAM_UNAVAILABLE', async () => {
    const gateway = await startGateway({
      GRAPH_BASE_URL: 'https://graph.invalid/beta',
      GRAPH_MAX_RETRIES: '0',
    });
    try {
      const { body } = await gateway.gql(GET_QUERY, { c, s }, AUTH);
      expect(body.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE' });
    } finally {
      await gateway.close();
    }
  });

  it('a redirect is never followed, so the token never reaches another origin', async () => {
    const elsewhere: http.IncomingHttpHeaders[] = [];
    const other = http.createServer((req, res) => {
      elsewhere.push(req.headers);
      res.end('{}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const { port } = other.address() as AddressInfo;
    try {
      harness.emulator.faults.add({
        status: 307,
        headers: { Location: `http://127.0.0.1:${port}/steal` },
      });
      const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, AUTH);
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: 'UPSTREAM_ERROR',
        graph: { status: 307 },
      });
      expect(harness.emulator.requests).toHaveLength(1);
      expect(elsewhere).toHaveLength(0);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
