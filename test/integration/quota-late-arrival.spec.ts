import type { StartedGateway } from '../../bench/lib';
import { GET_QUERY } from '../helpers/harness';
import { startRedis } from '../helpers/redis';
import {
  APP,
  WINDOW_MS,
  c,
  fallbackWarnings,
  operate,
  scrape,
  startTopologyRig,
  tenant,
  tokenOf,
  write,
} from '../helpers/topology-checks';
import type { TopologyRig } from '../helpers/topology-checks';

/**
 * Calls that reach Graph late. The gateway counts a call from its grant, for a window plus its margin (500 ms here);
 * Graph counts it from its arrival. When the way there takes longer than the margin (a TCP retransmit is a second; a
 * busy event loop, a slow proxy), a call counted from its grant frees its place while Graph still counts it, and the
 * next call lands over Intune's limit. The emulator (Intune mode, 3 writes per 1 s window) holds the first three
 * writes 800 ms before it counts them; the fourth must still reach it a whole window after the first of them,
 * through a replica pacing in-process and through two sharing one real Redis.
 */
const LATE_MS = 800;
let rig: TopologyRig;
let alone: StartedGateway;
let pair: StartedGateway[];

beforeAll(async () => {
  rig = await startTopologyRig();
  const redis = rig.kept(await startRedis());
  [alone, pair] = await Promise.all([
    rig.replica({ GRAPH_QUOTA_REPLICAS: '1' }),
    rig.pair({ REDIS_URL: redis.url }),
  ]);
}, 60_000);
afterAll(() => rig?.stop());

/**
 * Four writes at once through `replicas`, with one token Graph has already accepted (a read first: a token it has
 * not is let through one call at a time, `quota/unproven.ts`), the first three to arrive held `LATE_MS`.
 */
async function fourWithThreeLate(replicas: readonly StartedGateway[], tid: string) {
  const { emulator } = rig;
  const ids = [0, 1, 2, 3].map((index) => `late-${tid.slice(-2)}-${index}`);
  for (const id of ids) emulator.store.put(c, { id, status: 'error' });
  const token = tokenOf(rig, tid);
  const proof = { c, s: ids[0] };
  for (const replica of replicas)
    expect(await operate(replica, token, GET_QUERY, proof)).toBe('ok');
  emulator.faults.add({
    method: 'PATCH',
    path: new RegExp(`/userStatuses/late-${tid.slice(-2)}-`),
    delayMs: LATE_MS,
    times: 3,
  });
  const outcomes = await Promise.all(
    ids.map((id, index) => write(rig, replicas[index % replicas.length]!, tid, id, token)),
  );
  const calls = emulator.calls.filter((call) => call.tenant === tid && call.kind === 'write');
  return { outcomes, calls, times: calls.map((call) => call.at).sort((a, b) => a - b) };
}

it.each([
  ['one replica pacing in-process', () => [alone], 41],
  ['two replicas sharing one Redis', () => pair, 42],
])(
  '%s: a write granted after three late ones reaches Graph a window after the first of them',
  async (_name, replicas, n) => {
    const tid = tenant(n);
    const { outcomes, calls, times } = await fourWithThreeLate(replicas(), tid);
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(calls.map((call) => call.refused)).toEqual([false, false, false, false]);
    expect(rig.emulator.overLimit({ tenant: tid }).over).toBe(0);
    expect(rig.emulator.maxInWindow({ kind: 'write', tenant: tid, app: APP })).toBe(3);
    // The three arrived together, late; the fourth a whole window after the first of them (it needs one place).
    expect(times[2]! - times[0]!).toBeLessThan(LATE_MS / 2);
    expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(WINDOW_MS);
    expect(fallbackWarnings(replicas())).toEqual([]);
    const metrics = (await Promise.all(replicas().map(scrape))).join('\n');
    const late = [...metrics.matchAll(/^intune_gateway_quota_late_total\{kind="write"\} (\d+)$/gm)];
    expect(late.reduce((sum, [, value]) => sum + Number(value), 0)).toBe(3);
  },
  20_000,
);
