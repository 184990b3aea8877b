import { configurationId, createEmulatorToken } from '../../emulator';
import { BULK_MUTATION, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

/**
 * A paced bulk asks for exactly the budget it sends. Two batch workers share a bulk's items; before this test a
 * worker asked for budget for items the other one then sent, waited a whole window for nothing, and held the
 * bulk's answer back by that window (the bench's quota scenario: the last answer one window after the last write).
 * The count of budget takes is the check (intune_gateway_quota_wait_seconds counts each take), not a time.
 */
const c = configurationId('windows10-general');
const TENANT = '44444444-0000-4000-8000-000000000004';
const AUTH = {
  authorization: `Bearer ${createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], {
    tid: TENANT,
    appid: '0c0c0c0c-0000-4000-8000-00000000000c',
  })}`,
};

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({
    emulator: { quotas: { enabled: false } },
    env: {
      GRAPH_QUOTA_WINDOW_MS: '1000',
      GRAPH_QUOTA_MARGIN_MS: '0',
      GRAPH_QUOTA_APP_WRITES: '20',
      GRAPH_DEADLINE_MS: '10000',
    },
  });
  for (let index = 0; index < 40; index += 1)
    harness.emulator.store.put(c, { id: `b-${index}`, status: 'error' });
});
afterAll(() => harness.close());

async function writeTakes(): Promise<number> {
  const text = await (await fetch(harness.gateway.url.replace(/\/graphql$/, '/metrics'))).text();
  const line = /^intune_gateway_quota_wait_seconds_count\{kind="write"\} (\d+)$/m.exec(text);
  return Number(line?.[1] ?? 0);
}

it('40 updates at 20 per window: two chunks, two takes of budget, none wasted on items already sent', async () => {
  // A read first: Graph accepting the token lifts the gate for unproven tokens (a small part of the budget at once).
  const read = await harness.gateway.gql(
    `{ deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "b-0") { id } }`,
    undefined,
    AUTH,
  );
  expect(read.body.errors).toBeUndefined();
  harness.emulator.requests.length = 0;
  const before = await writeTakes();
  const inputs = Array.from({ length: 40 }, (_, index) => ({
    deviceConfigurationId: c,
    userStatusId: `b-${index}`,
    status: 'COMPLIANT',
  }));
  const { body } = await harness.gateway.gql(BULK_MUTATION, { inputs }, AUTH);
  const items = body.data?.updateDeviceConfigurationUserStatuses as Array<{ error: unknown }>;
  expect(items.map((item) => item.error)).toEqual(Array(40).fill(null));
  const batches = harness.emulator.requests.filter((request) => request.url.endsWith('$batch'));
  expect(
    batches.map((batch) => (JSON.parse(batch.body) as { requests: unknown[] }).requests.length),
  ).toEqual([20, 20]);
  expect((await writeTakes()) - before).toBe(2);
}, 10_000);
