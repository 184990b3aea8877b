import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { EXPLORER_CSS, exampleTabs } from '../../src/server/explorer';
import { AUTH, startGateway, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const origin = () => harness.gateway.url.replace(/\/graphql$/, '');

describe('explorer', () => {
  it('GET / serves GraphiQL from the gateway itself: no script, style or font from a CDN', async () => {
    const response = await fetch(`${origin()}/`, { headers: { accept: 'text/html' } });
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('YogaGraphiQL.renderYogaGraphiQL');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:/i);
    expect(html).not.toMatch(/@import\s+url\(["']?https?:/i);
  });

  it("carries the explorer's style corrections after GraphiQL's own, so that they win", async () => {
    const html = await (await fetch(`${origin()}/`)).text();
    // GraphiQL's rule that lets a focused tab take its stale transform (test/browser/explorer.test.ts clicks).
    const graphiql = html.indexOf('.graphiql-tab:not(:focus-within){transform:none!important}');
    expect(graphiql).toBeGreaterThan(0);
    expect(html.indexOf(EXPLORER_CSS)).toBeGreaterThan(graphiql);
    expect(EXPLORER_CSS).toContain('.graphiql-tab { transform: none !important; }');
  });

  it('GET /graphql from a browser (Accept: text/html) serves it too, gzipped when asked', async () => {
    const response = await fetch(harness.gateway.url, {
      headers: { accept: 'text/html', 'accept-encoding': 'gzip' },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('UpdateUserStatus'); // fetch inflates it
    const raw = await new Promise<Buffer>((resolve, reject) => {
      http
        .get(
          harness.gateway.url,
          { headers: { accept: 'text/html', 'accept-encoding': 'gzip' } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve(Buffer.concat(chunks)));
          },
        )
        .on('error', reject);
    });
    expect(gunzipSync(raw).toString()).toContain('<!doctype html>');
  });

  it('preloads the mutation on each path, the query, the list and the bulk update', async () => {
    const html = await (await fetch(`${origin()}/`)).text();
    for (const path of [
      'DEVICE_CONFIGURATION',
      'ROOT_CERTIFICATE',
      'IOS_SCEP_ROOT_CERTIFICATE',
      'MACOS_SCEP_ROOT_CERTIFICATE',
      'WINDOWS10_VPN_IDENTITY_CERTIFICATE',
      'WINDOWS_PHONE81_VPN_IDENTITY_CERTIFICATE',
    ])
      expect(html).toContain(`\\"path\\": \\"${path}\\"`);
    for (const name of ['GetUserStatus', 'ListUserStatuses', 'UpdateUserStatuses'])
      expect(html).toContain(name);
  });

  it.each(exampleTabs('{}').map((tab, index) => [index, tab] as const))(
    'example tab %i runs as it is against the emulator (its seeded ids exist)',
    async (_index, tab) => {
      const { status, body } = await harness.gateway.post(
        { query: tab.query, variables: JSON.parse(tab.variables) as unknown },
        AUTH,
      );
      expect(body.errors).toBeUndefined();
      expect(status).toBe(200);
      const results = Object.values(body.data ?? {});
      expect(results).toHaveLength(1);
      expect(JSON.stringify(results)).not.toContain('"error":{');
    },
  );

  it('is not served where introspection is off', async () => {
    const production = await startGateway({
      GRAPH_BASE_URL: harness.emulator.baseUrl,
      NODE_ENV: 'production',
    });
    try {
      expect((await fetch(production.url.replace(/\/graphql$/, '/'))).status).toBe(404);
    } finally {
      await production.close();
    }
  });
});
