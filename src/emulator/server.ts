import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { checkAccess } from './auth';
import { FaultSwitches } from './faults';
import type { FaultRule } from './faults';
import { handleBatch } from './batch';
import { applyFault, faultCode, sendAnswer } from './http';
import type { Exchange } from './http';
import type { BatchRequestItem } from './batch';
import { accessFor, graphError, handleUserStatuses } from './routes';
import type { EmulatorAnswer, EmulatorSettings } from './routes';
import { EmulatorStore } from './store';

export const EMULATOR_VERSION_ROOT = '/beta';
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export interface EmulatorOptions {
  readonly port?: number;
  readonly host?: string;
  readonly patchResponse?: EmulatorSettings['patchResponse'];
  readonly faults?: readonly FaultRule[];
}

/** One request as Graph received it: what the tests assert on. */
export interface RecordedRequest {
  readonly method: string;
  /** The raw path and query, exactly as sent (still percent-encoded). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly receivedAt: number;
  /** Set when the client closed the connection before the emulator answered (a cancelled call). */
  closedBeforeAnswer: boolean;
}

export interface Emulator {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** What `GRAPH_BASE_URL` should be: `http://127.0.0.1:<port>/beta`. */
  readonly baseUrl: string;
  readonly store: EmulatorStore;
  readonly faults: FaultSwitches;
  readonly settings: EmulatorSettings;
  readonly requests: RecordedRequest[];
  /** Seeded data back, no faults, default settings, nothing recorded. */
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

/** Starts the Graph emulator: a real HTTP server on loopback (port 0 picks a free one). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const store = new EmulatorStore();
  const faults = new FaultSwitches();
  const settings: EmulatorSettings = { patchResponse: options.patchResponse ?? 'object' };
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let baseUrl = '';
  const addDefaultFaults = () => options.faults?.forEach((rule) => faults.add(rule));
  addDefaultFaults();

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = req.url ?? '/';
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      url,
      headers: req.headers,
      body: body ?? '',
      receivedAt: Date.now(),
      closedBeforeAnswer: false,
    };
    requests.push(record);
    res.once('close', () => {
      if (!res.writableFinished) record.closedBeforeAnswer = true;
    });
    const requestId = randomUUID();
    const sentId = req.headers['client-request-id'];
    const exchange: Exchange = {
      req,
      res,
      requestId,
      clientRequestId: typeof sentId === 'string' ? sentId : requestId,
    };
    const method = req.method ?? 'GET';
    const pathname = url.split('?')[0] ?? '/';
    const relative = pathname.startsWith(`${EMULATOR_VERSION_ROOT}/`)
      ? pathname.slice(EMULATOR_VERSION_ROOT.length)
      : undefined;
    const rule = faults.take(method, relative ?? pathname);
    if (rule?.delayMs) await wait(rule.delayMs);
    if (rule && applyFault(exchange, rule)) return;
    if (body === undefined)
      return sendAnswer(
        exchange,
        graphError(413, 'RequestEntityTooLarge', 'The request is too large.'),
      );
    if (relative === undefined)
      return sendAnswer(exchange, graphError(400, 'BadRequest', 'Invalid version.'));
    if (relative === '/$batch' && method === 'POST') {
      // The envelope needs a token; each item is then checked for its own permission.
      const denied = checkAccess(req.headers.authorization, 'read', Date.now());
      if (denied)
        return sendAnswer(exchange, graphError(denied.status, denied.code, denied.message));
      return sendAnswer(
        exchange,
        handleBatch(body, (item) => answerBatchItem(item, req.headers.authorization)),
      );
    }
    const query = url.includes('?') ? url.slice(url.indexOf('?')) : '';
    sendAnswer(
      exchange,
      answerResource(method, `${relative}${query}`, body, req.headers.authorization),
    );
  }

  /** A userStatuses request after the version root, whether it came alone or inside a batch. */
  function answerResource(
    method: string,
    url: string,
    body: string,
    authorization: string | undefined,
  ): EmulatorAnswer {
    const denied = checkAccess(authorization, accessFor(method), Date.now());
    if (denied) return graphError(denied.status, denied.code, denied.message);
    const [rawPath = '', search = ''] = url.split('?');
    let segments: string[];
    try {
      segments = rawPath.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return graphError(400, 'BadRequest', 'The request URI is not valid.');
    }
    const query = new URLSearchParams(search);
    return handleUserStatuses(store, settings, { method, segments, body, baseUrl, rawPath, query });
  }

  /** A batch item: the per-item fault switch (status and Retry-After) first, then the resource. */
  function answerBatchItem(
    item: BatchRequestItem,
    authorization: string | undefined,
  ): EmulatorAnswer {
    const rule = faults.take(item.method, item.url.split('?')[0] ?? item.url);
    if (rule?.status !== undefined && rule.status >= 400) {
      const answer = graphError(
        rule.status,
        faultCode(rule.status),
        `Emulated fault: HTTP ${rule.status}.`,
      );
      return rule.retryAfter ? { ...answer, headers: { 'Retry-After': rule.retryAfter } } : answer;
    }
    return answerResource(item.method, item.url, item.body, authorization);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  baseUrl = `${origin}${EMULATOR_VERSION_ROOT}`;

  return {
    origin,
    baseUrl,
    store,
    faults,
    settings,
    requests,
    reset() {
      store.reset();
      faults.clear();
      addDefaultFaults();
      settings.patchResponse = options.patchResponse ?? 'object';
      requests.length = 0;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
