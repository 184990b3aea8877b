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
  UPDATE,
  write,
} from '../helpers/topology-checks';
import { waitFor } from '../helpers/wait';
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
/** Pacing in-process, with attempts of at most 2 s (GRAPH_TIMEOUT_MS). */
let alone: StartedGateway;
let pair: StartedGateway[];
const ATTEMPT_MS = 2_000;

beforeAll(async () => {
  rig = await startTopologyRig();
  const redis = rig.kept(await startRedis());
  [alone, pair] = await Promise.all([
    rig.replica({ GRAPH_QUOTA_REPLICAS: '1', GRAPH_TIMEOUT_MS: String(ATTEMPT_MS) }),
    rig.pair({ REDIS_URL: redis.url }),
  ]);
}, 60_000);
afterAll(() => rig?.stop());

/**
 * Four writes at once through `replicas`, with one token Graph has already accepted (a read first: a token it has
 * not is let through one call at a time, `quota/unproven.ts`), the first three to arrive held `LATE_MS`.
 */
async function fourWithThreeLate(
  replicas: readonly StartedGateway[],
  tid: string,
  callersLeaveAfterMs?: number,
) {
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
    ids.map((id, index) => {
      const replica = replicas[index % replicas.length]!;
      if (callersLeaveAfterMs === undefined || index === 3)
        return write(rig, replica, tid, id, token);
      return leaving(replica, token, id, callersLeaveAfterMs);
    }),
  );
  // Their callers gone, the held writes still reach Graph once the emulator lets them through.
  await waitFor(
    () =>
      emulator.calls.filter((call) => call.tenant === tid && call.kind === 'write').length === 4,
    10_000,
  );
  const calls = emulator.calls.filter((call) => call.tenant === tid && call.kind === 'write');
  return { outcomes, calls, times: calls.map((call) => call.at).sort((a, b) => a - b) };
}

/** A write whose caller goes away after `ms`, while its call may already be on its way to Graph. */
async function leaving(replica: StartedGateway, token: string, id: string, ms: number) {
  const input = { deviceConfigurationId: c, userStatusId: id, status: 'COMPLIANT' };
  const outcome = operate(replica, token, UPDATE, { input }, AbortSignal.timeout(ms));
  return outcome.catch((error: Error) => `left: ${error.name}`);
}

// The cases run at once (their tenants and the emulator's holds are their own): they mostly wait for windows.
it.concurrent(
  'callers that go away before Graph counts their writes: those count until a whole attempt after they were sent',
  async () => {
    const tid = tenant(43);
    const { outcomes, calls, times } = await fourWithThreeLate([alone], tid, 150);
    expect(outcomes).toEqual([
      'left: TimeoutError',
      'left: TimeoutError',
      'left: TimeoutError',
      'ok',
    ]);
    expect(calls.map((call) => call.refused)).toEqual([false, false, false, false]);
    expect(rig.emulator.overLimit({ tenant: tid }).over).toBe(0);
    // The fourth goes once the three's attempts' time (from their grant) and a window have passed: they reached the
    // emulator and were held LATE_MS, less the little time from their grant to the emulator.
    expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(ATTEMPT_MS + WINDOW_MS - LATE_MS - 200);
  },
  20_000,
);

it.concurrent.each([
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
    // Its own three at least: the in-process replica also serves the case of the callers gone, at the same time.
    expect(late.reduce((sum, [, value]) => sum + Number(value), 0)).toBeGreaterThanOrEqual(3);
  },
  20_000,
);
