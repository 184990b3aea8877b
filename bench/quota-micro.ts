/**
 * `npx tsx bench/quota-micro.ts`: the cost of quota pacing (issue 10) alone. In-process: CPU per `take()` with
 * Intune's limits over many tenants (never waiting), per refusal, and per `quotaIdentity()` (decoding a JWT
 * payload); quotas off as the baseline. With Redis (a `redis-server` started on a free port): latency per take
 * (median, p99) next to a bare PING on the same kind of connection, and CPU per take. Sequential, one in flight,
 * so latency is one round trip; then 20 in flight for throughput.
 */
import Redis from 'ioredis';
import { createQuotaPacer, INTUNE_QUOTA_LIMITS, quotaIdentity } from '../src/graph/quota';
import type { QuotaIdentity, QuotaKind, QuotaPacer } from '../src/graph/quota';
import { startRedis } from '../test/helpers/redis';
import { redisQuotaStore } from '../test/helpers/redis-store';

const guid = (n: number) => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
const identities = (count: number): QuotaIdentity[] =>
  Array.from({ length: count }, (_, n) => ({ tenant: guid(n), app: guid(n + 1_000_000) }));

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** CPU µs per call of `work`, awaited one at a time (as one Graph attempt would). */
async function cpuPerCall(total: number, work: (i: number) => unknown): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < total; i += 1) await work(i);
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / total;
}

async function inProcess(): Promise<void> {
  const off = createQuotaPacer({ limits: null });
  const on = createQuotaPacer({ limits: INTUNE_QUOTA_LIMITS });
  // 100 000 takes over 2 000 tenants: 50 each, under every limit, so none waits (the cost of the check itself).
  const many = identities(2_000);
  const take = (pacer: QuotaPacer, kind: QuotaKind) => (i: number) =>
    pacer.take({ identity: many[i % many.length]!, kind, max: 1, deadline: Date.now() + 30_000 });
  // A saturated identity with a deadline too short to wait: every take is refused at once.
  const full = identities(1)[0]!;
  await on.take({ identity: full, kind: 'write', max: 100, deadline: Date.now() + 30_000 });
  const refused = () =>
    on.take({ identity: full, kind: 'write', max: 1, deadline: Date.now() + 10 });
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = {
    aud: 'https://graph.microsoft.com',
    iss: 'https://sts.windows.net/x/',
    ver: '1.0',
    tid: guid(1),
    appid: guid(2),
    scp: 'DeviceManagementConfiguration.ReadWrite.All',
    upn: 'ada@contoso.com',
    roles: [],
    iat: 1,
    nbf: 1,
    exp: 2,
    pad: 'x'.repeat(900),
  };
  const header = `Bearer ${encode({ typ: 'JWT', alg: 'RS256', kid: 'k' })}.${encode(claims)}.${'s'.repeat(342)}`;
  const rows: [string, number][] = [];
  for (let round = 0; round < 2; round += 1) {
    rows.length = 0;
    rows.push(['quotas off (baseline)', await cpuPerCall(100_000, take(off, 'write'))]);
    rows.push(['in-process read', await cpuPerCall(100_000, take(on, 'read'))]);
    rows.push(['in-process write', await cpuPerCall(100_000, take(on, 'write'))]);
    rows.push(['in-process refusal', await cpuPerCall(100_000, refused)]);
    rows.push([
      'quotaIdentity (1.5 KB JWT)',
      await cpuPerCall(100_000, () => quotaIdentity(header)),
    ]);
  }
  console.log('In-process, CPU per call (second of two rounds, after warm-up):');
  for (const [name, us] of rows) console.log(`  ${name.padEnd(28)} ${us.toFixed(2)} µs`);
  await Promise.all([off.close(), on.close()]);
}

async function latencies(total: number, work: () => Promise<unknown>) {
  const times: number[] = [];
  const start = process.cpuUsage();
  for (let i = 0; i < total; i += 1) {
    const t = process.hrtime.bigint();
    await work();
    times.push(Number(process.hrtime.bigint() - t) / 1_000);
  }
  const cpu = process.cpuUsage(start);
  times.sort((a, b) => a - b);
  return {
    median: percentile(times, 50),
    p99: percentile(times, 99),
    cpu: (cpu.user + cpu.system) / total,
  };
}

async function withRedis(): Promise<void> {
  const redis = await startRedis();
  const store = redisQuotaStore(redis.url);
  await store.ready(2_000);
  const pacer = createQuotaPacer({
    limits: INTUNE_QUOTA_LIMITS,
    store,
    hooks: { fallback: () => console.log('  (fell back!)') },
  });
  const ping = new Redis(redis.url);
  const many = identities(2_000);
  let n = 0;
  const take = (kind: QuotaKind) => () =>
    pacer.take({ identity: many[n++ % many.length]!, kind, max: 1, deadline: Date.now() + 30_000 });
  const rows: [string, Awaited<ReturnType<typeof latencies>>][] = [];
  for (let round = 0; round < 2; round += 1) {
    rows.length = 0;
    rows.push(['PING (bare round trip)', await latencies(5_000, () => ping.ping())]);
    rows.push(['take, read', await latencies(5_000, take('read'))]);
    rows.push(['take, write (4 windows)', await latencies(5_000, take('write'))]);
    rows.push([
      'take, $batch of 20 writes',
      await latencies(2_000, () =>
        pacer.take({
          identity: many[n++ % many.length]!,
          kind: 'write',
          max: 20,
          deadline: Date.now() + 30_000,
        }),
      ),
    ]);
  }
  console.log('Redis on loopback, one in flight (second of two rounds):');
  for (const [name, r] of rows)
    console.log(
      `  ${name.padEnd(28)} median ${(r.median / 1000).toFixed(3)} ms, p99 ${(r.p99 / 1000).toFixed(3)} ms, client CPU ${r.cpu.toFixed(1)} µs`,
    );
  const total = 20_000;
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next++ < total) await take('write')();
    }),
  );
  console.log(`  20 in flight: ${Math.round(total / ((performance.now() - t) / 1000))} takes/s`);
  ping.disconnect();
  await pacer.close();
  await redis.stop();
}

(async () => {
  await inProcess();
  await withRedis();
})().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
