import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { renderGraphiQL as RenderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EXAMPLE_PATHS, EXAMPLE_UPDATE, PATH_EXAMPLES } from './explorer-examples';
import type { PathExample } from './explorer-examples';
import { GATEWAY_NAME, PACKAGE_ROOT } from '../version';

/** What `renderGraphiQL` takes, from its own signature (no import of graphql-yoga, which only declares it). */
type GraphiQLOptions = NonNullable<Parameters<typeof RenderGraphiQL>[0]>;

export interface ExplorerOptions {
  /** Headers prefilled in the explorer's header editor (the demo puts its token there). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** One tab of GraphiQL: its title is the operation name in `query`. */
export interface ExampleTab {
  readonly query: string;
  readonly variables: string;
  readonly headers: string;
}

const OPERATIONS_DIR = path.join(PACKAGE_ROOT, 'examples', 'operations');

const operation = (file: string) => readFileSync(path.join(OPERATIONS_DIR, file), 'utf8');
const json = (value: unknown) => JSON.stringify(value, null, 2);
const ids = ({ deviceConfigurationId, userStatusId }: PathExample) => ({
  deviceConfigurationId,
  userStatusId,
});

/** update.graphql renamed for one path, so that each path's tab has its own title. */
function updateOn(update: string, example: PathExample, pathName: string): string {
  const renamed = update.replace(/^mutation \w+/m, `mutation ${example.operationName}`);
  const comment = `# Update a user status of ${example.reaches} (${pathName}).`;
  return renamed.startsWith('#') ? renamed.replace(/^#.*/, comment) : `${comment}\n${renamed}`;
}

/** The explorer's tabs: the mutation on each path, then the read, the list and the bulk update. */
export function exampleTabs(headers: string): ExampleTab[] {
  const update = operation('update.graphql');
  const defaults = PATH_EXAMPLES.DEVICE_CONFIGURATION;
  const updates = EXAMPLE_PATHS.map((name) => ({
    query: updateOn(update, PATH_EXAMPLES[name], name),
    variables: json({ input: { path: name, ...ids(PATH_EXAMPLES[name]), ...EXAMPLE_UPDATE } }),
    headers,
  }));
  const bulkInputs = EXAMPLE_PATHS.map((name) => ({
    path: name,
    ...ids(PATH_EXAMPLES[name]),
    status: 'COMPLIANT',
  }));
  return [
    ...updates,
    {
      query: operation('get.graphql'),
      variables: json({ path: 'DEVICE_CONFIGURATION', ...ids(defaults) }),
      headers,
    },
    {
      query: operation('list.graphql'),
      variables: json({ deviceConfigurationId: defaults.deviceConfigurationId, first: 10 }),
      headers,
    },
    { query: operation('bulk.graphql'), variables: json({ inputs: bulkInputs }), headers },
  ];
}

/**
 * The explorer's corrections to GraphiQL's styles, added to the page after GraphiQL's own.
 *
 * Tabs: GraphiQL's tabs are framer-motion `Reorder.Item`s (drag to reorder). At load framer leaves each one an
 * inline `transform: translateX(…)` of up to hundreds of pixels, from a layout animation that never ran; GraphiQL
 * hides it with `.graphiql-tab:not(:focus-within) { transform: none !important }`, which stops applying as soon as
 * a tab's button takes focus: on mousedown. So on a real click the tab jumped from under the pointer between
 * mousedown and mouseup, the mouseup (and the click) landed on the tab list, and the tab did not open; a DOM
 * `click()` has no mousedown and always worked. Tabs are never moved by a transform here: they stay under the
 * pointer, and a drag still reorders them (framer reorders from the pointer's offset), without following it.
 *
 * Title: the logo (the title) shares the tab bar's row; a long title wrapped onto three lines over the tab bar.
 * It stays on one line, and the tab list, which scrolls, takes the room left.
 */
export const EXPLORER_CSS = [
  '.graphiql-tab { transform: none !important; }',
  '.graphiql-logo { white-space: nowrap; flex-shrink: 0; }',
].join('\n');

/** GraphiQL's page with the explorer's styles after GraphiQL's own (a later rule of the same weight wins). */
export function withExplorerStyles(html: string): string {
  return html.replace('</head>', `<style>\n${EXPLORER_CSS}\n</style>\n</head>`);
}

interface RenderedPage {
  readonly html: string;
  readonly gzipped: Buffer;
}

/**
 * GraphiQL's settings. Header persistence is off: GraphiQL would otherwise keep whatever is in the header editor
 * (a bearer token) in localStorage (`graphiql:headers`, and in each stored tab) and bring it back after a reload.
 */
export function explorerSettings(options: ExplorerOptions = {}) {
  const headers = json(options.headers ?? { Authorization: 'Bearer <your Microsoft Graph token>' });
  const tabs = exampleTabs(headers);
  // GraphiQL 5 fills the editors from `initialQuery`/`initialVariables`, not from the first tab, and after a reload
  // it adds an untitled tab unless they match a stored tab: pass the first tab's query and variables as well.
  const settings: GraphiQLOptions & { initialQuery?: string; initialVariables?: string } = {
    initialQuery: tabs[0]?.query,
    initialVariables: tabs[0]?.variables,
    title: `${GATEWAY_NAME} explorer`,
    endpoint: '/graphql',
    defaultTabs: tabs,
    headers,
    shouldPersistHeaders: false,
  };
  return settings;
}

/**
 * GraphiQL served entirely by the gateway (no CDN: it renders inside locked-down networks), at `/` and at
 * `/graphql` for browsers (Accept: text/html). Rendered and compressed once, on first use.
 */
export function registerExplorer(app: FastifyInstance, options: ExplorerOptions = {}): void {
  let page: RenderedPage | undefined;
  // GraphiQL's bundle is ~9 MB of JavaScript: loaded on the first page view, not at start.
  const render = async (): Promise<RenderedPage> => {
    const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
    const html = withExplorerStyles(renderGraphiQL(explorerSettings(options)));
    return { html, gzipped: gzipSync(html) };
  };
  const send = async (request: FastifyRequest, reply: FastifyReply) => {
    page ??= await render();
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('vary', 'accept-encoding');
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')))
      return reply.header('content-encoding', 'gzip').send(page.gzipped);
    return reply.send(page.html);
  };
  app.get('/', send);
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || request.url.split('?')[0] !== '/graphql') return undefined;
    const accept = String(request.headers.accept ?? '');
    const query = (request.query as { query?: unknown } | undefined)?.query;
    if (!accept.includes('text/html') || query !== undefined) return undefined;
    return send(request, reply);
  });
}
