/**
 * `npm run bench:soak`: 2 minutes (or `-- --seconds N`) of mixed traffic through the built gateway against the
 * emulator with 10% injected faults. Prints requests sent, answers by error code, unhandled errors (must be 0)
 * and the gateway's RSS at the start, middle and end. Exits 1 when anything went unhandled.
 */
import { startEmulator } from '../emulator/server';
import { SEEDED_PATH_TARGETS, configurationId, userStatusId } from '../emulator/store';
import { argument, rssMb, startBuiltGateway } from './lib';

const PATHS = Object.entries(SEEDED_PATH_TARGETS);

const MUTATION = `mutation U($input: UpdateDeviceConfigurationUserStatusInput!) { updateDeviceConfigurationUserStatus(input: $input) { userStatus { id status } requestId } }`;
const QUERY = `query G($path: UserStatusPath, $c: ID!, $s: ID!) { deviceConfigurationUserStatus(path: $path, deviceConfigurationId: $c, userStatusId: $s) { id status lastReportedDateTime } }`;
const STATUSES = ['COMPLIANT', 'NON_COMPLIANT', 'NOT_APPLICABLE', 'REMEDIATED', 'ERROR'];

// 10% of Graph calls fail, spread over the kinds of fault a real Graph and its proxies show.
const FAULTS = [
  { status: 429, retryAfter: '0.05' },
  { status: 503 },
  { status: 500 },
  { status: 404 },
  { hang: true },
  { reset: 'before-headers' as const },
  { reset: 'mid-body' as const, status: 200 },
  { status: 200, body: 'html' as const },
].map((fault) => ({ ...fault, probability: 0.1 / 8 / (1 - 0.1 / 8) }));

function pick<T>(items: readonly T[], index: number): T {
  return items[index % items.length]!;
}

function operation(index: number): { query: string; variables: Record<string, unknown> } {
  const [path, [configKey, targetKey]] = pick(PATHS, index);
  const ids = {
    deviceConfigurationId: configurationId(configKey),
    userStatusId: userStatusId(targetKey, index % 3),
  };
  if (index % 10 < 7)
    return {
      query: MUTATION,
      variables: { input: { path, ...ids, status: pick(STATUSES, index) } },
    };
  return { query: QUERY, variables: { path, c: ids.deviceConfigurationId, s: ids.userStatusId } };
}

async function main(): Promise<void> {
  const seconds = argument('seconds', 120);
  const concurrency = argument('concurrency', 16);
  // The soak is about faults and unhandled errors, not pacing: Intune's quotas would turn most calls into 429s.
  const emulator = await startEmulator({ quotas: { enabled: false } });
  FAULTS.forEach((fault) => emulator.faults.add(fault));
  const gateway = await startBuiltGateway({
    GRAPH_BASE_URL: emulator.baseUrl,
    GRAPH_TIMEOUT_MS: '1000',
    GRAPH_RETRY_BASE_DELAY_MS: '50',
    GRAPH_MAX_RETRY_DELAY_MS: '2000',
    GRAPH_DEADLINE_MS: '5000',
    GRAPH_QUOTAS: 'off',
  });
  const pid = gateway.process.pid!;
  const rss = { start: rssMb(pid), middle: 0, end: 0 };
  const answers = new Map<string, number>();
  const count = (key: string) => answers.set(key, (answers.get(key) ?? 0) + 1);
  let sent = 0;
  const until = Date.now() + seconds * 1000;
  const middle = setTimeout(() => (rss.middle = rssMb(pid)), (seconds * 1000) / 2);

  async function worker(offset: number): Promise<void> {
    for (let index = offset; Date.now() < until; index += concurrency) {
      sent += 1;
      try {
        const response = await fetch(gateway.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer soak-token-${index % 50}`,
          },
          body: JSON.stringify(operation(index)),
        });
        const body = (await response.json()) as {
          errors?: Array<{ extensions?: { code?: string } }>;
        };
        count(
          body.errors?.[0]?.extensions?.code ?? (response.ok ? 'OK' : `HTTP ${response.status}`),
        );
      } catch (error) {
        count(`CLIENT ${(error as Error).message}`);
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, (_, offset) => worker(offset)));
  clearTimeout(middle);
  if (rss.middle === 0) rss.middle = rssMb(pid);
  rss.end = rssMb(pid);
  const unhandled = gateway.logs.filter((entry) =>
    /unhandled|uncaught/.test(String(entry.msg)),
  ).length;
  const exitCode = await gateway.stop();
  await emulator.close();

  const graphCalls = emulator.requests.length;
  console.log(`soak: ${seconds} s, concurrency ${concurrency}, 10% of Graph calls faulted`);
  console.log(`requests sent:     ${sent}`);
  console.log(`graph calls:       ${graphCalls}`);
  console.log('answers by code:');
  for (const [code, total] of [...answers].sort((a, b) => b[1] - a[1]))
    console.log(
      `  ${code.padEnd(22)} ${String(total).padStart(7)}  ${((100 * total) / sent).toFixed(1)}%`,
    );
  console.log(`unhandled errors:  ${unhandled}`);
  console.log(`gateway exit code: ${exitCode}`);
  console.log(`gateway RSS (MB):  start ${rss.start}, middle ${rss.middle}, end ${rss.end}`);
  if (unhandled > 0 || exitCode !== 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
