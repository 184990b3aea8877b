import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/server';
import { createLogger } from '../../src/observability/logging';
import { createGatewayServer } from '../../src/gateway';

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
    () => document.body.innerText.includes('UpdateOnDeviceConfiguration'),
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

/** Polls a browser-side condition (the page works at its own pace); fails after 30 s. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (const started = Date.now(); !(await condition());) {
    if (Date.now() - started > 30000) throw new Error('condition not met within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const tabTitles = (page: Page) =>
  page.$$eval('.graphiql-tab button:not([aria-label])', (tabs) =>
    tabs.map((tab) => tab.textContent?.trim()),
  );

/** Every string the page's origin keeps: localStorage, sessionStorage, each IndexedDB record, Cache Storage keys. */
async function storedText(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const parts: string[] = [
      JSON.stringify({ ...localStorage }),
      JSON.stringify({ ...sessionStorage }),
    ];
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(info.name!);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error ?? new Error(`cannot open ${info.name}`));
      });
      for (const store of Array.from(db.objectStoreNames)) {
        const records = await new Promise<unknown[]>((resolve, reject) => {
          const all = db.transaction(store).objectStore(store).getAll();
          all.onsuccess = () => resolve(all.result);
          all.onerror = () => reject(all.error ?? new Error(`cannot read ${store}`));
        });
        parts.push(`${info.name}/${store}: ${JSON.stringify(records)}`);
      }
      db.close();
    }
    for (const name of await caches.keys()) parts.push(`cache ${name}`);
    return parts.join('\n');
  });
}

it('keeps no token in the browser: neither the prefilled one nor one typed into the header editor', async () => {
  const typed = 'typed-into-graphiql-7c1e9a';
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.waitForSelector('.graphiql-container', { timeout: 30000 });
  // One tab per path, each with its own title, then the read, the list and the bulk update.
  await page.waitForSelector('.graphiql-tab', { timeout: 30000 });
  const titles = await tabTitles(page);
  expect(titles).toEqual([
    'UpdateOnDeviceConfiguration',
    'UpdateOnRootCertificate',
    'UpdateOnIosScepRootCertificate',
    'UpdateOnMacOSScepRootCertificate',
    'UpdateOnWindows10VpnIdentityCertificate',
    'UpdateOnWindowsPhone81VpnIdentityCertificate',
    'GetUserStatus',
    'ListUserStatuses',
    'UpdateUserStatuses',
  ]);

  // Replace the header editor's text with a typed token, and run the mutation with it.
  await page.getByRole('button', { name: 'Headers', exact: true }).click();
  const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden)');
  await headersEditor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(`{"Authorization": "Bearer ${typed}"}`);
  await until(async () => /Bearer\s+typed-into/.test(await headersEditor.innerText()));
  const sent = emulator.requests.length;
  await page.click('.graphiql-execute-button');
  await until(() =>
    emulator.requests
      .slice(sent)
      .some((request) => request.headers.authorization === `Bearer ${typed}`),
  );
  // GraphiQL writes its tab state half a second after a change: let it, then reload.
  await page.waitForTimeout(1000);
  await page.reload();
  await page.waitForSelector('.graphiql-container', { timeout: 30000 });
  await page.waitForSelector('.graphiql-tab', { timeout: 30000 });

  // The same tabs come back (no extra untitled one), their headers from the page, not from storage.
  expect(await tabTitles(page)).toEqual(titles);
  const stored = await storedText(page);
  expect(stored).toContain('graphiql:tabState'); // GraphiQL did store its state, only without headers
  expect(stored).not.toContain(typed);
  expect(stored).not.toContain(TOKEN);
  expect(await page.textContent('body')).not.toContain(typed);
  await context.close();
});
