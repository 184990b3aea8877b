import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/server';
import { createLogger } from '../../src/observability/logging';
import { createGatewayServer } from '../../src/gateway';
import { EXAMPLE_PATHS, PATH_EXAMPLES } from '../../src/server/explorer-examples';

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

/** What each tab's example answers with, and the Graph call it makes, in the explorer's tab order. */
const TAB_RUNS = [
  ...EXAMPLE_PATHS.map((path) => ({
    title: PATH_EXAMPLES[path].operationName,
    answer: '"updateDeviceConfigurationUserStatus"',
    call: (method: string, url: string) =>
      method === 'PATCH' &&
      url.includes(`/${PATH_EXAMPLES[path].deviceConfigurationId}/`) &&
      url.endsWith(`/userStatuses/${PATH_EXAMPLES[path].userStatusId}`),
  })),
  {
    title: 'GetUserStatus',
    answer: '"deviceConfigurationUserStatus"',
    call: (method: string, url: string) => method === 'GET' && url.includes('/userStatuses/'),
  },
  {
    title: 'ListUserStatuses',
    answer: '"deviceConfigurationUserStatuses"',
    call: (method: string, url: string) => method === 'GET' && /\/userStatuses\?/.test(url),
  },
  {
    title: 'UpdateUserStatuses',
    answer: '"updateDeviceConfigurationUserStatuses"',
    call: (method: string, url: string) => method === 'POST' && url.endsWith('/$batch'),
  },
];

/** The active tab GraphiQL last wrote to its storage (half a second after a change). */
const storedActiveTab = (page: Page) =>
  page.evaluate(
    () =>
      (JSON.parse(localStorage.getItem('graphiql:tabState') ?? '{}') as { activeTabIndex?: number })
        .activeTabIndex,
  );

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

it('every example tab opens on a real mouse click and runs its example; the title stays off the tab bar', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${origin}/`);
  await page.waitForSelector('.graphiql-tab', { timeout: 30000 });
  expect(await tabTitles(page)).toEqual(TAB_RUNS.map((run) => run.title));

  // The title sits on one line beside the tab list, not over it.
  const list = (await page.locator('.graphiql-tabs').boundingBox())!;
  const logo = (await page.locator('.graphiql-logo').boundingBox())!;
  expect(overlaps(list, logo)).toBe(false);
  const titleLines = await page.$eval('.graphiql-logo', (element) => {
    const tops = new Set<number>();
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
    }
    return tops.size;
  });
  expect(titleLines).toBe(1);

  const active = () => page.locator('.graphiql-tab-active button:not([aria-label])').textContent();
  // Backwards, so that each click switches to another tab (the first one is open at load).
  for (const [index, run] of [...TAB_RUNS.entries()].reverse()) {
    const tab = page.locator('.graphiql-tab button:not([aria-label])').nth(index);
    // Bring the tab into the tab list's view as a user would: the wheel, sideways, over the list.
    await page.mouse.move(list.x + list.width / 2, list.y + list.height / 2);
    for (let turns = 0; turns < 20; turns += 1) {
      const box = (await tab.boundingBox())!;
      if (box.x >= list.x && box.x + box.width <= list.x + list.width) break;
      await page.mouse.wheel(box.x < list.x ? -200 : 200, 0);
      await page.waitForTimeout(100);
    }
    const box = (await tab.boundingBox())!;
    // A real press and release at the tab's centre: pointerdown, mousedown (focus), pointerup, mouseup, click.
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await until(async () => (await active()) === run.title);
    // GraphiQL takes the new tab's operation name from its query editor's change handler, a moment after the
    // switch: run at once and it sends the previous tab's name ("Cannot infer operation …", an upstream race no
    // person clicks fast enough to meet). Its tab state, written 500 ms after a switch, says it has settled.
    await until(async () => (await storedActiveTab(page)) === index);

    const sent = emulator.requests.length;
    await page.locator('.graphiql-execute-button').click();
    await until(
      async () => (await page.textContent('.graphiql-response'))?.includes(run.answer) ?? false,
    );
    const calls = emulator.requests.slice(sent);
    expect(calls.some((request) => run.call(request.method, request.url))).toBe(true);
    expect(calls.every((request) => request.headers.authorization === `Bearer ${TOKEN}`)).toBe(
      true,
    );
  }
  await page.close();
});
