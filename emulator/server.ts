import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { graphError } from './answer';
import type { EmulatorAnswer } from './answer';
import { ADMIN_ROOT, handleAdmin } from './admin';
import type { EmulatorConfigurePatch } from './admin';
import { checkAccess } from './auth';
import { handleBatch } from './batch';
import type { FaultSwitches } from './faults';
import { applyFault, sendAnswer } from './http';
import type { Exchange } from './http';
import { maxInWindow, overLimit } from './call-log';
import type { OverLimit, OverLimitQuery, QuotaCall, WindowQuery } from './call-log';
import type { QuotaSettings } from './quota';
import { createEmulatedResources } from './resources';
import type { EmulatedResources } from './resources';
import type { EmulatorSettings } from './settings';
import { createEmulatorState } from './state';
import type { EmulatorOptions, EmulatorState, RecordedRequest } from './state';
import type { EmulatorStore } from './store';

export const EMULATOR_VERSION_ROOT = '/beta';
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export type { EmulatorOptions, RecordedRequest } from './state';

export interface Emulator {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** What `GRAPH_BASE_URL` should be: `http://127.0.0.1:<port>/beta`. */
  readonly baseUrl: string;
  /** The admin API: `http://127.0.0.1:<port>/_emulator`. */
  readonly adminUrl: string;
  readonly store: EmulatorStore;
  readonly faults: FaultSwitches;
  /** The live settings (mode and each behaviour); change them with `configure` or directly. */
  readonly settings: EmulatorSettings;
  /** The live quota settings. */
  readonly quotas: QuotaSettings;
  /** Every HTTP request received (admin API excepted). */
  readonly requests: RecordedRequest[];
  /** Every call past authentication, `$batch` items one by one, accepted or refused for quota. */
  readonly calls: readonly QuotaCall[];
  /** Validates and applies a change, as `PATCH /_emulator/settings` does; naming a mode starts from its preset. */
  configure(patch: EmulatorConfigurePatch): void;
  /** The most accepted calls of a kind in any window (default: the quota window), see `maxInWindow`. */
  maxInWindow(query?: Partial<WindowQuery>): number;
  /** The calls over the quotas (the live ones) as Intune counts them, refused calls included, see `overLimit`. */
  overLimit(query?: OverLimitQuery): OverLimit;
  /** Seeded data back, the options' settings and faults, empty windows and logs. */
  reset(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

function exchangeFor(req: IncomingMessage, res: ServerResponse): Exchange {
  const requestId = randomUUID();
  const sentId = req.headers['client-request-id'];
  return { req, res, requestId, clientRequestId: typeof sentId === 'string' ? sentId : requestId };
}

/** The HTTP side: admin API, request log, faults, then Graph's routes through the service. */
function createHandler(
  state: EmulatorState,
  service: EmulatedResources,
  wait: (ms: number) => Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  function record(
    req: IncomingMessage,
    res: ServerResponse,
    body: string | undefined,
  ): RecordedRequest {
    const entry: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: body ?? '',
      receivedAt: Date.now(),
      closedBeforeAnswer: false,
    };
    state.requests.push(entry);
    res.once('close', () => {
      if (!res.writableFinished) entry.closedBeforeAnswer = true;
    });
    return entry;
  }

  return async function handle(req, res) {
    const body = await readBody(req);
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const exchange = exchangeFor(req, res);
    const pathname = url.split('?')[0] ?? '/';
    if (pathname.startsWith(`${ADMIN_ROOT}/`))
      return sendAnswer(
        exchange,
        handleAdmin(state, method, url.slice(ADMIN_ROOT.length), body ?? ''),
      );
    exchange.recorded = record(req, res, body);
    const relative = pathname.startsWith(`${EMULATOR_VERSION_ROOT}/`)
      ? url.slice(EMULATOR_VERSION_ROOT.length)
      : undefined;
    const rule = state.faults.take(method, relative?.split('?')[0] ?? pathname);
    if (rule?.delayMs) await wait(rule.delayMs);
    const finish = (answer: EmulatorAnswer) =>
      service.finish(answer, exchange, relative ?? pathname);
    if (rule && applyFault(exchange, rule, finish)) return;
    if (body === undefined)
      return sendAnswer(
        exchange,
        graphError(413, 'RequestEntityTooLarge', 'The request is too large.'),
      );
    if (relative === undefined)
      return sendAnswer(exchange, graphError(400, 'BadRequest', 'Invalid version.'));
    const authorization = req.headers.authorization;
    if (relative.split('?')[0] === '/$batch' && method === 'POST') {
      // The envelope needs a token and costs no quota; each item is checked and counted on its own.
      const denied = checkAccess(authorization, 'read', Date.now());
      if (denied)
        return sendAnswer(exchange, graphError(denied.status, denied.code, denied.message));
      return sendAnswer(
        exchange,
        handleBatch(body, (item, failed) => service.batchItem(item, authorization, failed)),
      );
    }
    const call = { method, url: relative, body, authorization, batched: false };
    sendAnswer(exchange, finish(service.resource(call)));
  };
}

/** Starts the Graph emulator: a real HTTP server on loopback (port 0 picks a free one). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const state = createEmulatorState(options);
  const timers = new Set<NodeJS.Timeout>();
  let baseUrl = '';
  const service = createEmulatedResources({
    ...state,
    callLogLimit: options.callLogLimit ?? 100_000,
    baseUrl: () => baseUrl,
  });
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  const handle = createHandler(state, service, wait);
  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 5_000;
  // A port already taken (EADDRINUSE) rejects, so that callers (the demo) can explain it.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  baseUrl = `${origin}${EMULATOR_VERSION_ROOT}`;
  const { store, faults, settings, quotas, requests, calls } = state;

  return {
    origin,
    baseUrl,
    adminUrl: `${origin}${ADMIN_ROOT}`,
    store,
    faults,
    settings,
    quotas,
    requests,
    calls,
    configure: (patch) => state.configure(patch),
    maxInWindow: (query = {}) => maxInWindow(calls, { windowMs: quotas.windowMs, ...query }),
    overLimit: (query = {}) => overLimit(calls, quotas, query),
    reset: () => state.reset(),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
