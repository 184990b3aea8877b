import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { checkAccess } from './auth';
import { FaultSwitches } from './faults';
import type { FaultRule } from './faults';
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

interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly clientRequestId: string;
}

/** Graph's response headers. https://learn.microsoft.com/graph/best-practices-concept#reliability-and-support */
function graphHeaders(
  exchange: Exchange,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    'request-id': exchange.requestId,
    'client-request-id': exchange.clientRequestId,
    'x-ms-ags-diagnostic': JSON.stringify({
      ServerInfo: {
        DataCenter: 'Emulator',
        Slice: 'E',
        Ring: '0',
        ScaleUnit: '000',
        RoleInstance: 'local',
        ADSiteName: 'LOC',
      },
    }),
    'Cache-Control': 'no-cache',
    Date: new Date().toUTCString(),
    ...extra,
  };
}

function sendAnswer(
  exchange: Exchange,
  answer: EmulatorAnswer,
  extra: Record<string, string> = {},
): void {
  const headers = graphHeaders(exchange, extra);
  if (!answer.body) {
    exchange.res.writeHead(answer.status, headers).end();
    return;
  }
  let body = answer.body;
  if (body.error && typeof body.error === 'object')
    body = {
      error: {
        ...body.error,
        innerError: {
          date: new Date().toISOString().slice(0, 19),
          'request-id': exchange.requestId,
          'client-request-id': exchange.clientRequestId,
        },
      },
    };
  const text = JSON.stringify(body);
  headers['Content-Type'] =
    'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
  exchange.res.writeHead(answer.status, headers).end(text);
}

const FAULT_BODIES: Readonly<Record<string, (size: number) => { type: string; text: string }>> = {
  empty: () => ({ type: 'application/json', text: '' }),
  html: () => ({
    type: 'text/html',
    text: '<html><body><h1>502 Bad Gateway</h1><p>proxy</p></body></html>',
  }),
  truncated: () => ({ type: 'application/json', text: '{"error":{"code":"Service' }),
  array: () => ({ type: 'application/json', text: '[{"id":"not-an-object"}]' }),
  oversized: (size) => ({
    type: 'application/json',
    text: `{"id":"big","padding":"${'x'.repeat(Math.max(0, size - 26))}"}`,
  }),
};

/** Answers as the fault rule says; returns false when the rule only delayed and the request goes on. */
function applyFault(exchange: Exchange, rule: FaultRule): boolean {
  if (rule.hang) return true; // the socket stays open until the client or close() ends it
  if (rule.reset === 'before-headers') {
    exchange.req.socket.destroy();
    return true;
  }
  const status = rule.status ?? 200;
  const extra: Record<string, string> = { ...rule.headers };
  if (rule.retryAfter) extra['Retry-After'] = rule.retryAfter;
  if (rule.body || rule.reset === 'mid-body') {
    const { type, text } = (FAULT_BODIES[rule.body ?? 'oversized'] ?? FAULT_BODIES.empty!)(
      rule.size ?? 2048,
    );
    const headers = {
      ...graphHeaders(exchange, extra),
      'Content-Type': type,
      'Content-Length': String(Buffer.byteLength(text)),
    };
    exchange.res.writeHead(status, headers);
    if (rule.reset === 'mid-body') {
      exchange.res.write(text.slice(0, Math.floor(text.length / 2)));
      setImmediate(() => exchange.req.socket.destroy());
      return true;
    }
    exchange.res.end(text);
    return true;
  }
  if (rule.status === undefined) return false;
  sendAnswer(
    exchange,
    graphError(status, faultCode(status), `Emulated fault: HTTP ${status}.`),
    extra,
  );
  return true;
}

function faultCode(status: number): string {
  if (status === 429) return 'TooManyRequests';
  if (status === 503) return 'ServiceUnavailable';
  if (status === 504) return 'GatewayTimeout';
  return status >= 500 ? 'InternalServerError' : 'BadRequest';
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
    const denied = checkAccess(req.headers.authorization, accessFor(method), Date.now());
    if (denied) return sendAnswer(exchange, graphError(denied.status, denied.code, denied.message));
    let segments: string[];
    try {
      segments = relative.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return sendAnswer(exchange, graphError(400, 'BadRequest', 'The request URI is not valid.'));
    }
    sendAnswer(exchange, handleUserStatuses(store, settings, { method, segments, body, baseUrl }));
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
