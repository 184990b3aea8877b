import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { GraphiQLOptions } from 'graphql-yoga';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SEEDED_PATH_TARGETS, configurationId, userStatusId } from './emulator/store';
import { PATH_VARIANTS } from './graph/paths';
import { GATEWAY_NAME } from './version';

export interface ExplorerOptions {
  /** Headers prefilled in the explorer's header editor (the demo puts its token there). */
  readonly headers?: Readonly<Record<string, string>>;
}

// src/explorer.ts and dist/explorer.js both sit one level below examples/.
const OPERATIONS_DIR = path.join(__dirname, '..', 'examples', 'operations');

function ids(path: string): { deviceConfigurationId: string; userStatusId: string } {
  // The emulator's seeded ids, so every example runs as it is against `npm run demo`.
  const [configuration, target] =
    SEEDED_PATH_TARGETS[path] ?? SEEDED_PATH_TARGETS.DEVICE_CONFIGURATION!;
  return {
    deviceConfigurationId: configurationId(configuration),
    userStatusId: userStatusId(target, 0),
  };
}

const operation = (file: string) => readFileSync(path.join(OPERATIONS_DIR, file), 'utf8');

/** The explorer's tabs: the mutation on each path, then the read, the list and the bulk update. */
export function exampleTabs(headers: string) {
  const update = operation('update.graphql');
  const variables = (value: unknown) => JSON.stringify(value, null, 2);
  return [
    ...PATH_VARIANTS.map((name) => ({
      query: update,
      variables: variables({
        input: {
          path: name,
          ...ids(name),
          status: 'NOT_APPLICABLE',
          lastReportedDateTime: '2017-01-01T00:00:17.7769392-08:00',
        },
      }),
      headers,
    })),
    {
      query: operation('get.graphql'),
      variables: variables({ path: 'DEVICE_CONFIGURATION', ...ids('DEVICE_CONFIGURATION') }),
      headers,
    },
    {
      query: operation('list.graphql'),
      variables: variables({
        deviceConfigurationId: ids('DEVICE_CONFIGURATION').deviceConfigurationId,
        first: 10,
      }),
      headers,
    },
    {
      query: operation('bulk.graphql'),
      variables: variables({
        inputs: PATH_VARIANTS.map((name) => ({
          path: name,
          ...ids(name),
          status: 'COMPLIANT',
        })),
      }),
      headers,
    },
  ];
}

interface RenderedPage {
  readonly html: string;
  readonly gzipped: Buffer;
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
    const headers = JSON.stringify(
      options.headers ?? { Authorization: 'Bearer <your Microsoft Graph token>' },
      null,
      2,
    );
    const tabs = exampleTabs(headers);
    // GraphiQL 5 fills the variables editor from `initialVariables`, not from the first tab: pass both.
    const settings = {
      initialVariables: tabs[0]?.variables,
      title: `${GATEWAY_NAME} explorer`,
      endpoint: '/graphql',
      defaultTabs: tabs,
      headers,
    };
    const html = renderGraphiQL(settings as GraphiQLOptions);
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
