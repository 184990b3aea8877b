import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/server';
import { createLogger } from '../../src/observability/logging';
import { createGatewayServer } from '../../src/gateway';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

let emulator: Emulator;
let browser: Browser;
let frontend: http.Server;
let frontendOrigin: string;
const closers: Array<() => Promise<unknown>> = [];

/** A gateway in the given mode, wired to the emulator; its /graphql URL. */
async function gateway(env: Record<string, string>): Promise<string> {
  const config = loadConfig({ GRAPH_BASE_URL: emulator.baseUrl, LOG_LEVEL: 'warn', ...env });
  const app = await createGatewayServer(config, { logger: createLogger('warn') });
  closers.push(() => app.close());
  return `${await app.listen({ port: 0, host: '127.0.0.1' })}/graphql`;
}

beforeAll(async () => {
  emulator = await startEmulator();
  // The frontend: a page on its own loopback port, as a Vite or React dev server would serve it.
  frontend = http.createServer((_request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end('<!doctype html><title>frontend</title><p>frontend</p>');
  });
  await new Promise<void>((resolve) => frontend.listen(0, '127.0.0.1', resolve));
  frontendOrigin = `http://127.0.0.1:${(frontend.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(closers.map((close) => close()));
  await new Promise((resolve) => frontend?.close(resolve));
  await emulator?.close();
});

/** Runs docs/clients.md's browser snippet in the frontend page: a cross-origin POST with JSON and a bearer token. */
function callFromPage(page: Page, url: string): Promise<string> {
  return page.evaluate(async (graphql) => {
    try {
      const response = await fetch(graphql, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer demo' },
        body: JSON.stringify({
          query:
            '{ deviceConfigurationUserStatuses(deviceConfigurationId: "fb2e09f7-878d-4440-aa28-935f7a56e498", first: 1) { nodes { id } } }',
        }),
      });
      return `${response.status} ${await response.text()}`;
    } catch (error) {
      return `refused: ${String(error)}`;
    }
  }, url);
}

it('a page on another loopback port calls the development gateway; production refuses it', async () => {
  const development = await gateway({});
  const production = await gateway({ NODE_ENV: 'production' });
  const page = await browser.newPage();
  await page.goto(`${frontendOrigin}/`);

  const answer = await callFromPage(page, development);
  expect(answer).toMatch(/^200 \{"data":\{"deviceConfigurationUserStatuses":\{"nodes":\[\{"id":/);

  const sent = emulator.requests.length;
  expect(await callFromPage(page, production)).toBe('refused: TypeError: Failed to fetch');
  expect(emulator.requests.length).toBe(sent); // the browser stopped at the preflight
  await page.close();
});

it('a production gateway with the page in CORS_ORIGINS answers it', async () => {
  const listed = await gateway({ NODE_ENV: 'production', CORS_ORIGINS: frontendOrigin });
  const page = await browser.newPage();
  await page.goto(`${frontendOrigin}/`);
  expect(await callFromPage(page, listed)).toMatch(/^200 \{"data":/);
  await page.close();
});
