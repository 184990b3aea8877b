/**
 * The quota scenario of `npm run bench` (issue 23): three gateway replicas share their windows through a real Redis,
 * in front of the emulator in Intune mode (a refused call counts, calls made while throttled extend the throttle),
 * with Intune's limits scaled down in time. N writes arrive at once: half as single updates spread over the
 * replicas, half as one bulk mutation per replica. Measured: the time to finish them against the quota's minimum,
 * and the calls over the limits as Intune counts them (refused calls included: `emulator.overLimit`).
 */
import { configurationId, createEmulatorToken, startEmulator } from '../emulator';
import type { Emulator } from '../emulator';
import { startRedis } from '../test/helpers/redis';
import type { TestRedis } from '../test/helpers/redis';
import { startBuiltGateway } from './lib';
import type { StartedGateway } from './lib';
import type { QuotaResult, QuotaScenarioSettings } from './quota-report';

export const REPLICAS = 3;
const TENANT = '0a0a0a0a-0000-4000-8000-00000000000a';
const APP = '0c0c0c0c-0000-4000-8000-00000000000c';
const CONFIGURATION = configurationId('windows10-general');
const UPDATE = `mutation One($input: UpdateDeviceConfigurationUserStatusInput!) { updateDeviceConfigurationUserStatus(input: $input) { userStatus { id } } }`;
const BULK = `mutation Bulk($inputs: [UpdateDeviceConfigurationUserStatusInput!]!) { updateDeviceConfigurationUserStatuses(inputs: $inputs) { userStatus { id } error { code } } }`;

/** The settings per bench mode: the 600 writes at 100 per 20 s (5 windows at least) scaled to 2-s windows. */
export const QUOTA_SCENARIO: Readonly<
  Record<'full' | 'quick' | 'smoke' | 'intune', QuotaScenarioSettings>
> = {
  full: { writes: 600, windowMs: 2000, appWrites: 100, marginMs: 500 },
  quick: { writes: 120, windowMs: 2000, appWrites: 20, marginMs: 500 },
  smoke: { writes: 20, windowMs: 1000, appWrites: 5, marginMs: 500 },
  // Intune's own window (`-- --quota --intune-window`): the margin costs 2.5 % of it, not 25 %; about 2 minutes.
  intune: { writes: 600, windowMs: 20_000, appWrites: 100, marginMs: 500 },
};

/** Intune's ratios: the tenant's writes twice the app's, any call ten times the writes. */
const limitsOf = (settings: QuotaScenarioSettings) => ({
  windowMs: settings.windowMs,
  appWrites: settings.appWrites,
  tenantWrites: settings.appWrites * 2,
  appCalls: settings.appWrites * 10,
  tenantCalls: settings.appWrites * 20,
});

/** The least time N writes can take: `appWrites` per window, the first at 0. */
export const minimumMs = (settings: QuotaScenarioSettings): number =>
  (Math.ceil(settings.writes / settings.appWrites) - 1) * settings.windowMs;

interface Stack {
  redis?: TestRedis;
  emulator?: Emulator;
  replicas?: readonly StartedGateway[];
}

/** Redis, the emulator and the replicas, each noted in `stack` as it starts (so a failed start still stops them). */
async function startStack(
  stack: Stack,
  settings: QuotaScenarioSettings,
  fromSource: boolean,
): Promise<Required<Stack>> {
  const limits = limitsOf(settings);
  const redis = (stack.redis = await startRedis());
  const emulator = (stack.emulator = await startEmulator({ mode: 'intune', quotas: limits }));
  const { late } = settings;
  if (late)
    for (const rule of [{ method: 'PATCH' }, { method: 'POST', path: '$batch' }])
      emulator.faults.add({ ...rule, delayMs: late.delayMs, probability: late.share });
  for (let index = 0; index < settings.writes; index += 1)
    emulator.store.put(CONFIGURATION, { id: `w-${index}`, status: 'error' });
  const env = {
    GRAPH_BASE_URL: emulator.baseUrl,
    REDIS_URL: redis.url,
    GRAPH_QUOTA_REPLICAS: String(REPLICAS),
    GRAPH_QUOTA_WINDOW_MS: String(limits.windowMs),
    GRAPH_QUOTA_MARGIN_MS: String(settings.marginMs),
    GRAPH_QUOTA_APP_WRITES: String(limits.appWrites),
    GRAPH_QUOTA_TENANT_WRITES: String(limits.tenantWrites),
    GRAPH_QUOTA_APP_CALLS: String(limits.appCalls),
    GRAPH_QUOTA_TENANT_CALLS: String(limits.tenantCalls),
    // Long enough to wait out every window: a write the gateway gives up on would hide its pacing.
    GRAPH_DEADLINE_MS: String(minimumMs(settings) * 3 + settings.windowMs * 10),
    MAX_BULK_INPUTS: String(settings.writes),
  };
  const started = await Promise.allSettled(
    Array.from({ length: REPLICAS }, () => startBuiltGateway(env, { fromSource })),
  );
  stack.replicas = started.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return { redis, emulator, replicas: stack.replicas };
}

async function stopStack(stack: Stack): Promise<void> {
  await Promise.all((stack.replicas ?? []).map((replica) => replica.stop()));
  await stack.emulator?.close();
  await stack.redis?.stop();
}

const AUTHORIZATION = `Bearer ${createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], { tid: TENANT, appid: APP })}`;

/** One GraphQL request: each write's outcome, `ok` or its error code. */
async function send(url: string, query: string, variables: object, count: number) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: AUTHORIZATION },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as {
    data?: { updateDeviceConfigurationUserStatuses?: Array<{ error: { code: string } | null }> };
    errors?: Array<{ extensions?: { code?: string } }>;
  };
  const items = body.data?.updateDeviceConfigurationUserStatuses;
  if (items) return items.map((item) => item.error?.code ?? 'ok');
  const code = body.errors?.[0]?.extensions?.code;
  return Array<string>(count).fill(body.errors ? String(code ?? 'UNKNOWN') : 'ok');
}

const input = (index: number) => ({
  deviceConfigurationId: CONFIGURATION,
  userStatusId: `w-${index}`,
  status: 'COMPLIANT',
});

/** Every write at once: singles round-robin over the replicas, then one bulk per replica. */
function sendAll(stack: Required<Stack>, writes: number): Promise<string[][]> {
  const singles = Math.floor(writes / 2);
  const urls = stack.replicas.map((replica) => replica.url);
  const requests: Array<Promise<string[]>> = [];
  for (let index = 0; index < singles; index += 1)
    requests.push(send(urls[index % REPLICAS]!, UPDATE, { input: input(index) }, 1));
  const bulk = Array.from({ length: writes - singles }, (_, offset) => input(singles + offset));
  const share = Math.ceil(bulk.length / REPLICAS);
  urls.forEach((url, replica) => {
    const inputs = bulk.slice(replica * share, (replica + 1) * share);
    if (inputs.length > 0) requests.push(send(url, BULK, { inputs }, inputs.length));
  });
  return Promise.all(requests);
}

function measure(
  stack: Required<Stack>,
  outcomes: string[],
  wallMs: number,
  settings: QuotaScenarioSettings,
) {
  const { emulator } = stack;
  const writes = emulator.calls.filter((call) => call.kind === 'write');
  const accepted = writes.filter((call) => !call.refused).map((call) => call.at);
  const failed = countBy(outcomes.filter((code) => code !== 'ok'));
  const result: QuotaResult = {
    settings: {
      ...limitsOf(settings),
      writes: settings.writes,
      marginMs: settings.marginMs,
      replicas: REPLICAS,
    },
    minimumMs: minimumMs(settings),
    wallMs: Math.round(wallMs),
    spanMs: accepted.length > 0 ? Math.max(...accepted) - Math.min(...accepted) : 0,
    done: outcomes.length - Object.values(failed).reduce((sum, count) => sum + count, 0),
    failed,
    accepted: accepted.length,
    refused: writes.filter((call) => call.refused).length,
    overLimit: emulator.overLimit({ tenant: TENANT }).over,
    maxInWindow: emulator.maxInWindow({ kind: 'write', tenant: TENANT, app: APP }),
    warnings: countBy(
      stack.replicas.flatMap((replica) =>
        replica.logs.filter((line) => Number(line.level) >= 40).map((line) => String(line.msg)),
      ),
    ),
  };
  return result;
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** Starts the stack, sends every write at once, waits for every answer, measures, stops everything. */
export async function runQuotaScenario(
  settings: QuotaScenarioSettings,
  fromSource = false,
): Promise<QuotaResult> {
  const stack: Stack = {};
  try {
    const running = await startStack(stack, settings, fromSource);
    const started = performance.now();
    const outcomes = (await sendAll(running, settings.writes)).flat();
    return measure(running, outcomes, performance.now() - started, settings);
  } finally {
    await stopStack(stack);
  }
}
