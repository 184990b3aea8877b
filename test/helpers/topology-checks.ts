import { configurationId, createEmulatorToken, startEmulator } from '../../emulator';
import type { Emulator } from '../../emulator';
import { gatewayStartOptions, startBuiltGateway } from '../../bench/lib';
import type { StartedGateway } from '../../bench/lib';
import type { TestCluster, TestSentinels } from './redis-topologies';
import { waitFor } from './wait';

/**
 * Issue 26's check, shared by the topology specs (quota-redis-topologies, quota-redis-topologies-tls): two gateway
 * processes in front of one Redis deployment must share one quota window through it. The emulator, in Intune mode,
 * counts every call as Intune does.
 *
 * With 3 writes per window, four writes sent at once through two replicas reach Graph as three, then the fourth one
 * window later; nothing refused, nothing over, and no replica fell back.
 */
export const WINDOW_MS = 1_000;
const MARGIN_MS = 500;
export const APP_WRITES = 3;
export const APP = '0c0c0c0c-0000-4000-8000-00000000000c';
export const c = configurationId('windows10-general');
export const tenant = (n: number) =>
  `${`3${n % 10}`.repeat(4)}-0000-4000-8000-${String(n).padStart(12, '0')}`;
export const UPDATE = /* GraphQL */ `
  mutation One($input: UpdateDeviceConfigurationUserStatusInput!) {
    updateDeviceConfigurationUserStatus(input: $input) {
      userStatus {
        id
      }
    }
  }
`;
/**
 * A Redis answer slower than a second is not an outage these checks look for (quota-redis-fallback's are): on a
 * loaded machine (CI beside other work, load 9) a TLS cluster's take once took longer and a replica fell back.
 */
const QUOTA_ENV = {
  GRAPH_QUOTA_REDIS_TIMEOUT_MS: '5000',
  GRAPH_QUOTA_REPLICAS: '2',
  GRAPH_DEADLINE_MS: '20000',
  GRAPH_QUOTA_WINDOW_MS: String(WINDOW_MS),
  GRAPH_QUOTA_MARGIN_MS: String(MARGIN_MS),
  GRAPH_QUOTA_APP_WRITES: String(APP_WRITES),
  GRAPH_QUOTA_TENANT_WRITES: '6',
  GRAPH_QUOTA_APP_CALLS: '100',
  GRAPH_QUOTA_TENANT_CALLS: '200',
  LOG_LEVEL: 'info',
};

export const clusterEnv = (seedUrl: string) => ({ REDIS_URL: seedUrl, REDIS_CLUSTER: 'true' });
export const sentinelEnv = (each: TestSentinels) => ({
  REDIS_SENTINELS: each.sentinels,
  REDIS_SENTINEL_NAME: each.name,
});

/** One spec's emulator and everything it started, stopped together by `stop()` whatever happened. */
export interface TopologyRig {
  readonly emulator: Emulator;
  /** Every token sent, to look for in the gateways' logs. */
  readonly tokens: string[];
  /** A gateway process with these Redis settings. */
  readonly replica: (env: Record<string, string>) => Promise<StartedGateway>;
  /** Two gateway processes in front of one deployment, one after the other. */
  readonly pair: (env: Record<string, string>) => Promise<StartedGateway[]>;
  /** Stopped with the rest (a plain function: pass it to `then`). */
  readonly kept: <T extends { stop(): Promise<unknown> }>(each: T) => T;
  readonly stop: () => Promise<unknown>;
}

export async function startTopologyRig(): Promise<TopologyRig> {
  const emulator = await startEmulator({
    mode: 'intune',
    quotas: {
      windowMs: WINDOW_MS,
      appWrites: APP_WRITES,
      tenantWrites: 6,
      appCalls: 100,
      tenantCalls: 200,
    },
  });
  // Stopping twice is harmless: a gateway or a Redis process already gone is left alone.
  const stops: Array<() => Promise<unknown>> = [() => emulator.close()];
  const kept = <T extends { stop(): Promise<unknown> }>(each: T): T => {
    stops.push(() => each.stop());
    return each;
  };
  const replica = async (env: Record<string, string>) =>
    kept(
      await startBuiltGateway(
        { GRAPH_BASE_URL: emulator.baseUrl, ...QUOTA_ENV, ...env },
        gatewayStartOptions(),
      ),
    );
  return {
    emulator,
    tokens: [],
    replica,
    pair: async (env) => [await replica(env), await replica(env)],
    kept,
    stop: () => Promise.all(stops.map((stop) => stop())),
  };
}

/** A token of tenant `tid` and the app (a new one each time), kept to look for in the logs. */
export function tokenOf(rig: TopologyRig, tid: string): string {
  const token = createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], {
    tid,
    appid: APP,
  });
  rig.tokens.push(token);
  return token;
}

/** One operation through `replica` with this token: `ok` or the first error's code. */
export async function operate(
  replica: StartedGateway,
  token: string,
  query: string,
  variables: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<string> {
  const response = await fetch(replica.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    ...(signal ? { signal } : {}),
  });
  const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
  return body.errors?.[0]?.extensions?.code ?? 'ok';
}

/** One write of tenant `tid` and the app through `replica` (a new token unless given): `ok` or the error code. */
export function write(
  rig: TopologyRig,
  replica: StartedGateway,
  tid: string,
  id: string,
  token = tokenOf(rig, tid),
): Promise<string> {
  const input = { deviceConfigurationId: c, userStatusId: id, status: 'COMPLIANT' };
  return operate(replica, token, UPDATE, { input });
}

/**
 * Four writes of one tenant and app at once, two through each replica, then what Graph saw: all done, none refused
 * or over as Intune counts, at most three in any window, and the fourth a whole window after the first: it waited
 * for the shared window (two replicas pacing alone, to 3 each, would have sent all four at once, one over).
 */
export async function shareOneWindow(
  rig: TopologyRig,
  pair: readonly StartedGateway[],
  tid: string,
): Promise<void> {
  const { emulator } = rig;
  const ids = [0, 1, 2, 3].map((index) => `${tid.slice(-4)}-${index}`);
  for (const id of ids) emulator.store.put(c, { id, status: 'error' });
  const outcomes = await Promise.all(ids.map((id, index) => write(rig, pair[index % 2]!, tid, id)));
  expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok']);
  const calls = emulator.calls.filter((call) => call.tenant === tid && call.kind === 'write');
  expect(calls.map((call) => call.refused)).toEqual([false, false, false, false]);
  expect(emulator.overLimit({ tenant: tid }).over).toBe(0);
  expect(emulator.maxInWindow({ kind: 'write', tenant: tid, app: APP })).toBeLessThanOrEqual(
    APP_WRITES,
  );
  const times = calls.map((call) => call.at).sort((a, b) => a - b);
  expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(WINDOW_MS);
}

export const fallbackWarnings = (pair: readonly StartedGateway[]) =>
  pair.flatMap((replica) =>
    replica.logs.filter((line) => String(line.msg).startsWith('quota store unreachable')),
  );

/** The node each replica said it uses, from its latest "ready" line. */
export const nodesInUse = (pair: readonly StartedGateway[]) =>
  pair.map(
    (replica) =>
      replica.logs.filter((line) => line.msg === 'Redis for the quota windows is ready').at(-1)
        ?.node,
  );

export async function scrape(replica: StartedGateway): Promise<string> {
  return (await fetch(replica.url.replace(/\/graphql$/, '/metrics'))).text();
}

/**
 * Five tenants at once (their windows are their own) through a cluster's pair: their hash tags fall in slots of
 * different masters, so the scripts run on several of them. Which masters ran them is read from each master's
 * command statistics once the writes are done: the windows' keys themselves expire with the window, and on a busy
 * machine they were gone before a `KEYS` on every master had been answered.
 */
export async function shareThroughCluster(
  rig: TopologyRig,
  pair: readonly StartedGateway[],
  deployment: TestCluster,
  [tenants, host]: readonly [readonly number[], string],
): Promise<void> {
  await Promise.all(tenants.map((n) => shareOneWindow(rig, pair, tenant(n))));
  const holding = new Set<number>();
  for (const port of deployment.ports) {
    const stats = await deployment.cli(port, 'INFO', 'commandstats');
    if (/^cmdstat_eval(sha)?:calls=[1-9]/m.test(stats)) holding.add(port);
  }
  expect(holding.size).toBeGreaterThanOrEqual(2);
  expect(fallbackWarnings(pair)).toEqual([]);
  const masters = deployment.ports
    .map((port) => `${host}:${port}`)
    .sort()
    .join(',');
  expect(nodesInUse(pair)).toEqual([masters, masters]);
  const metrics = await scrape(pair[0]!);
  expect(metrics).toContain(`intune_gateway_quota_store_node{node="${masters}"} 1`);
  // Every master's INFO memory was read (noeviction, the default): set, not left out.
  expect(metrics).toContain('intune_gateway_quota_store_evicting 0');
}

/** One window shared through the master; SIGKILL it; both follow the promoted replica and share again through it. */
export async function shareThroughFailover(
  rig: TopologyRig,
  pair: readonly StartedGateway[],
  deployment: TestSentinels,
  [before, after]: readonly [number, number],
): Promise<void> {
  const master = `127.0.0.1:${deployment.masterPort}`;
  expect(nodesInUse(pair)).toEqual([master, master]);
  await shareOneWindow(rig, pair, tenant(before));
  expect(fallbackWarnings(pair)).toEqual([]);

  await deployment.killMaster();
  await waitFor(
    async () => (await deployment.currentMasterPort()) === deployment.replicaPort,
    15_000,
    100,
  );
  const promoted = `127.0.0.1:${deployment.replicaPort}`;
  // Both follow the promoted master on their own, and pace shared again (not in-process) within seconds.
  await waitFor(
    async () =>
      nodesInUse(pair).every((node) => node === promoted) &&
      (await Promise.all(pair.map(scrape))).every((text) =>
        text.includes('intune_gateway_quota_store_state{state="shared"} 1'),
      ),
    10_000,
    100,
  );
  await shareOneWindow(rig, pair, tenant(after));
  const keys = await deployment.cli(deployment.replicaPort, 'KEYS', `igg:q:{${tenant(after)}}*`);
  expect(keys).not.toBe('');
}
