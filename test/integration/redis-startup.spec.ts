import { freePort } from '../../bench/lib';
import { startGateway } from '../helpers/harness';
import type { Gateway } from '../helpers/harness';

/**
 * The gateway started while its Redis does not answer: what its metrics and its warnings say from the start, before
 * any call was made. Real sockets to ports nothing listens on (the sentinels, the one Redis).
 */
const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

async function started(env: Record<string, string>): Promise<Gateway> {
  const gateway = await startGateway({ GRAPH_QUOTA_REPLICAS: '2', GRAPHQL_APQ: 'false', ...env });
  gateways.push(gateway);
  return gateway;
}

const scrape = async (gateway: Gateway) =>
  (await fetch(gateway.url.replace(/\/graphql$/, '/metrics'))).text();

const lines = (gateway: Gateway) =>
  gateway.logs.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('quota pacing started while Redis does not answer', () => {
  it('Sentinel with no sentinel answering: the metrics say fallback from the start, not shared until a first call', async () => {
    const [one, two] = await Promise.all([freePort(), freePort()]);
    const gateway = await started({
      REDIS_SENTINELS: `127.0.0.1:${one},127.0.0.1:${two}`,
      REDIS_SENTINEL_NAME: 'igg-nobody',
    });
    const metrics = await scrape(gateway);
    expect(metrics).toContain('intune_gateway_quota_store_state{state="fallback"} 1');
    expect(metrics).toContain('intune_gateway_quota_store_state{state="shared"} 0');
    expect(metrics).toContain('intune_gateway_quota_fallback_active 1');
    const warning = lines(gateway).find((line) =>
      String(line.msg).startsWith('quota store unreachable'),
    );
    expect(warning).toMatchObject({
      reason: 'unreachable',
      cause: 'not connected to sentinel master "igg-nobody" within 1000 ms',
    });
  });

  it('one Redis refusing connections: the same (its refused attempts came before the pacer listened)', async () => {
    const port = await freePort();
    const gateway = await started({ REDIS_URL: `redis://127.0.0.1:${port}` });
    const metrics = await scrape(gateway);
    expect(metrics).toContain('intune_gateway_quota_store_state{state="fallback"} 1');
    expect(metrics).toContain('intune_gateway_quota_fallback_active 1');
  });
});
