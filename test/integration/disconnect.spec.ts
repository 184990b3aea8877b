import { configurationId, userStatusId } from '../../emulator';
import { AUTH, startHarness, waitFor, BULK_MUTATION } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

/**
 * A client that goes away cancels everything: waits between retries end, and no throttled `$batch` item (bulk
 * PATCHes or batched reads) is sent again with the caller's token after the disconnect. (A request already
 * aborted when the client is built sends nothing at all: test/unit/graph-client.spec.ts.)
 */
const c = configurationId('windows10-general');
const ids = Array.from({ length: 3 }, (_, index) => userStatusId('windows10-general', index));

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ env: { GRAPH_DEADLINE_MS: '10000', GRAPH_QUOTAS: 'off' } });
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

const READS = `{ ${ids
  .map(
    (id, index) =>
      `r${index}: deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "${id}") { id }`,
  )
  .join(' ')} }`;

it.each([
  [
    'bulk PATCHes',
    'PATCH',
    {
      query: BULK_MUTATION,
      variables: {
        inputs: ids.map((id) => ({ deviceConfigurationId: c, userStatusId: id, status: 'ERROR' })),
      },
    },
  ],
  ['batched reads', 'GET', { query: READS }],
] as const)(
  'a disconnect while throttled %s wait sends nothing more to Graph',
  async (_name, method, body) => {
    // Every item throttled for 1 s: the gateway would send the batch again after that.
    harness.emulator.faults.add({ method, status: 429, retryAfter: '1' });
    const client = new AbortController();
    const call = fetch(harness.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify(body),
      signal: client.signal,
    }).catch((error: unknown) => error);
    await waitFor(() => harness.emulator.requests.length === 1);
    client.abort();
    await call;
    // Past the Retry-After, and then some: nothing more arrived.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(harness.emulator.requests.map((request) => request.url)).toEqual(['/beta/$batch']);
  },
);

it('a Graph call cancelled by the disconnect is a debug line, not a "graph call failed" warning', async () => {
  // The read is held 2 s by Graph: the client leaves while it is in flight.
  harness.emulator.faults.add({ method: 'GET', delayMs: 2000 });
  const from = harness.gateway.logs.length;
  const client = new AbortController();
  const call = fetch(harness.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify({
      query: `{ deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "${ids[0]}") { id } }`,
    }),
    signal: client.signal,
  }).catch((error: unknown) => error);
  await waitFor(() => harness.emulator.requests.length === 1);
  client.abort();
  await call;
  const lines = () =>
    harness.gateway.logs.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>);
  await waitFor(() => lines().some((line) => line.msg === 'graph call cancelled'));
  const cancelled = lines().find((line) => line.msg === 'graph call cancelled');
  expect(cancelled).toMatchObject({ level: 20, graph: { method: 'GET', failure: 'cancelled' } });
  expect(lines().filter((line) => Number(line.level) >= 40)).toEqual([]);
});
