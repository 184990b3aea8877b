import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { startEmulator } from '../../src/emulator/server';
import type { Emulator } from '../../src/emulator/server';
import { createLogger } from '../../src/logging';
import { createGatewayServer } from '../../src/server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Chromium's own background traffic is off: the page must be all that talks to the network.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];
const TOKEN = 'browser-test-token-5f3c';

let emulator: Emulator;
let origin: string;
let close: () => Promise<void>;
let browser: Browser;

beforeAll(async () => {
  emulator = await startEmulator();
  const config = loadConfig({ GRAPH_BASE_URL: emulator.baseUrl, LOG_LEVEL: 'silent' });
  const app = await createGatewayServer(config, {
    logger: createLogger('silent'),
    explorer: { headers: { Authorization: `Bearer ${TOKEN}` } },
  });
  origin = await app.listen({ port: 0, host: '127.0.0.1' });
  close = () => app.close();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
});

afterAll(async () => {
  await browser?.close();
  await close?.();
  await emulator?.close();
});

it('the explorer loads offline, shows the schema docs and runs the example mutation', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requested: string[] = [];
  page.on('request', (request) => requested.push(request.url()));

  await page.goto(`${origin}/`);
  await page.waitForSelector('.graphiql-container', { timeout: 30000 });
  // The first tab is the example mutation on DEVICE_CONFIGURATION, with its variables and the prefilled token.
  await page.waitForFunction(
    () => document.body.innerText.includes('UpdateUserStatus'),
    undefined,
    { timeout: 30000 },
  );
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () =>
      document.querySelector('.graphiql-response')?.textContent?.includes('"NOT_APPLICABLE"') ??
      false,
    undefined,
    { timeout: 30000 },
  );
  // The response editor wraps long lines: compare without white space.
  const result = (await page.textContent('.graphiql-response'))?.replace(/\s+/g, '');
  expect(result).toContain('"updateDeviceConfigurationUserStatus"');
  expect(result).toContain('"lastReportedDateTime":"2017-01-01T00:00:17.7769392-08:00"');

  const patch = emulator.requests.find((request) => request.method === 'PATCH');
  expect(patch?.headers.authorization).toBe(`Bearer ${TOKEN}`);

  // The docs explorer lists the schema, descriptions included.
  await page.click('[aria-label="Show Documentation Explorer"]');
  await page.waitForFunction(() => document.body.innerText.includes('Mutation'), undefined, {
    timeout: 10000,
  });

  if (process.env.UPDATE_SCREENSHOT === '1')
    await page.screenshot({ path: path.join(__dirname, '..', '..', 'docs', 'explorer.png') });

  const outside = requested.filter(
    (url) => !/^(https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/|data:|blob:)/.test(url),
  );
  expect(outside).toEqual([]);
  expect(requested.some((url) => url.endsWith('/graphql'))).toBe(true);
});
