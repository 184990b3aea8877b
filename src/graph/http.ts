/**
 * The one module that owns HTTP to Graph: an axios instance whose adapter (axios's documented `adapter` option,
 * https://github.com/axios/axios/blob/v1.x/lib/adapters/README.md) sends through undici. undici gives keep-alive
 * pools with a bound on connections per origin, no pipelining, and egress proxies; the gateway's own rules live
 * in the exchange below: a redirect is never followed, the answer is capped in size, each attempt has its own
 * time budget and follows the caller's cancellation, and every outcome is a value, never a thrown error.
 */
import { Axios, AxiosError } from 'axios';
import type { AxiosRequestConfig, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { isIP } from 'node:net';
import { Agent, Pool, ProxyAgent, buildConnector, errors } from 'undici';
import type { Dispatcher } from 'undici';
import {
  cancelledFailure,
  connectionFailure,
  isCertificateFailure,
  proxyRefused,
  timeoutFailure,
  tooLargeFailure,
} from './httpFailures';
import type { ExchangePhase, FailureReport, HttpFailure } from './httpFailures';
import { describeProxy, hasProxy, proxyAuthorization, proxyFor, proxySettings } from './proxy';
import type { ProxySettings } from './proxy';
import type {
  HttpOutcome,
  HttpRequest,
  HttpTransport,
  HttpTransportOptions,
  WatchedAttempt,
} from './httpTypes';

export type {
  GraphHttpMethod,
  HttpFailure,
  HttpOutcome,
  HttpRequest,
  HttpTransport,
  HttpTransportOptions,
  AttemptWatcher,
  WatchedAttempt,
} from './httpTypes';

/** Where one origin's requests go: the pool, and the proxy (described, without credentials) if any. */
interface Route {
  readonly dispatcher: Dispatcher;
  readonly proxy: string | null;
}

type FoldedHeaders = Record<string, string | undefined>;

/** An error's `code` (Node's, undici's), when it is a string. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Response headers with lower-case names (undici's already are), repeated ones joined as HTTP folds them. */
function foldHeaders(headers: Record<string, string | string[] | undefined>): FoldedHeaders {
  const folded: FoldedHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    folded[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return folded;
}

// The exchanges in flight per caller signal. One operation's Graph calls share its signal: one listener each would
// be one more `addEventListener` per call, and past ten Node warns of a leak. One listener per signal cancels them
// all.
const watchers = new WeakMap<AbortSignal, Set<Exchange>>();

function watchSignal(signal: AbortSignal, exchange: Exchange): void {
  let exchanges = watchers.get(signal);
  if (!exchanges) {
    const watched = new Set<Exchange>();
    signal.addEventListener('abort', () => watched.forEach((each) => each.cancel()), {
      once: true,
    });
    watchers.set(signal, (exchanges = watched));
  }
  exchanges.add(exchange);
}

/**
 * One attempt as an undici dispatch handler (https://github.com/nodejs/undici/blob/main/docs/docs/api/Dispatcher.md),
 * with its timer and the caller's signal. Settles once; later events (an abort's echo) are ignored.
 */
class Exchange implements Dispatcher.DispatchHandler, WatchedAttempt {
  readonly outcome: Promise<HttpOutcome>;
  private resolve!: (outcome: HttpOutcome) => void;
  private controller: Dispatcher.DispatchController | null = null;
  private phase: ExchangePhase = 'connecting';
  private settled = false;
  /** The adapter ran: the outcome will come. */
  started = false;
  private status = 0;
  private headers: FoldedHeaders = {};
  private chunks: Buffer[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Set by the operation's watcher, when there is one. */
  expiresAt = Infinity;

  constructor(
    private readonly request: HttpRequest,
    private readonly route: Route,
    private readonly maxBytes: number,
  ) {
    this.outcome = new Promise((resolve) => (this.resolve = resolve));
  }

  start(): void {
    this.started = true;
    const { request } = this;
    if (request.watcher) {
      if (!request.watcher.track(this, request.timeoutMs)) return this.cancel();
    } else {
      this.timer = setTimeout(this.onTimeout, Math.max(0, request.timeoutMs));
      if (request.signal) watchSignal(request.signal, this);
    }
    const { url } = request;
    try {
      this.route.dispatcher.dispatch(
        {
          origin: url.origin,
          path: url.pathname + url.search,
          method: request.method,
          // undici's proxy agent adds `host` to the headers it is given: give it its own copy.
          headers: this.route.proxy === null ? request.headers : { ...request.headers },
          body: request.body ?? null,
        },
        this,
      );
    } catch (error) {
      this.onResponseError(null, error as Error);
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.settled) return controller.abort(new Error('attempt over'));
    this.controller = controller;
    this.phase = 'sent';
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200 || this.settled) return; // 1xx: informational, the answer follows
    // 407 only ever comes from a proxy (RFC 9110 §15.5.8): the request did not go further.
    if (statusCode === 407) return this.fail(proxyRefused(407));
    const length = Number(headers['content-length']);
    if (length > this.maxBytes) return this.fail(tooLargeFailure(this.maxBytes));
    this.phase = 'answering';
    this.status = statusCode;
    this.headers = foldHeaders(headers);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return this.fail(tooLargeFailure(this.maxBytes));
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    const body =
      this.chunks.length === 1
        ? this.chunks[0]!.toString('utf8')
        : Buffer.concat(this.chunks, this.bytes).toString('utf8');
    this.finish({ ok: true, status: this.status, headers: this.headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (this.settled) return;
    this.finish({
      ok: false,
      ...connectionFailure({
        code: codeOf(error),
        causeCode: codeOf(error.cause),
        message: error.message,
        phase: this.phase,
        proxy: this.route.proxy,
      }),
    });
  }

  private readonly onTimeout = () => this.expire();

  /** The attempt's time is up. */
  expire(): void {
    this.fail(timeoutFailure(this.request.timeoutMs, this.phase !== 'connecting'));
  }

  /** The caller gave up. */
  cancel(): void {
    this.fail(cancelledFailure(this.phase !== 'connecting'));
  }

  /** Ends the attempt early: the outcome is known now, and undici stops (at once, or as soon as it starts). */
  private fail(report: FailureReport): void {
    if (this.settled) return;
    this.finish({ ok: false, ...report });
    this.controller?.abort(new Error(report.failure));
  }

  private finish(outcome: HttpOutcome): void {
    this.settled = true;
    const { watcher, signal } = this.request;
    if (watcher) watcher.untrack(this);
    else {
      clearTimeout(this.timer);
      if (signal) watchers.get(signal)?.delete(this);
    }
    this.chunks = [];
    this.resolve(outcome);
  }
}

/**
 * The attempt travels in axios's config as one object, headers and body included: they go to undici as the
 * caller built them, without a round through `AxiosHeaders` and axios's transforms.
 */
interface ExchangeRequestConfig extends AxiosRequestConfig {
  readonly exchange: Exchange;
}

/**
 * axios's adapter: starts the exchange and gives axios its answer. A failed exchange is an `AxiosError` for
 * axios's chain; `send` reads the exchange's own outcome, so the error (whose config holds the token) goes
 * nowhere.
 */
async function undiciAdapter(config: InternalAxiosRequestConfig): Promise<AxiosResponse<string>> {
  const { exchange } = config as InternalAxiosRequestConfig & ExchangeRequestConfig;
  exchange.start();
  const outcome = await exchange.outcome;
  if (!outcome.ok) throw new AxiosError(outcome.reason, AXIOS_CODES[outcome.failure]);
  // `send` reads the exchange's outcome, never this response: handing axios the headers would only make it copy
  // them, one normalised name at a time, into an `AxiosHeaders` nobody reads.
  return {
    data: outcome.body,
    status: outcome.status,
    statusText: '',
    headers: {},
    config,
    request: null,
  };
}

const AXIOS_CODES: Readonly<Record<HttpFailure, string>> = {
  timeout: AxiosError.ETIMEDOUT,
  cancelled: AxiosError.ERR_CANCELED,
  connection: AxiosError.ERR_NETWORK,
  'too-large': AxiosError.ERR_BAD_RESPONSE,
  'broken-body': AxiosError.ERR_BAD_RESPONSE,
};

/**
 * The axios instance, built from `Axios` itself rather than `axios.create()` so that its defaults are only the
 * adapter: no default headers to merge per call, no transitional options to validate, no transforms (bodies are
 * strings both ways). The adapter resolves whatever the status, and follows no redirect.
 */
function createAxios(): Axios {
  return new Axios({ adapter: undiciAdapter });
}

interface Router {
  routeFor(url: URL): Route;
  close(): Promise<void>;
}

type PoolFactory = (origin: string | URL, opts: object) => Dispatcher;
type TlsOptions = { readonly ca: string | string[] } | undefined;

/**
 * The TLS connection to an https proxy (undici's connector, https://github.com/nodejs/undici/blob/main/docs/docs/api/Connector.md),
 * with two corrections. The server name is always the proxy's: undici passes the target's host name for an
 * absolute-form request, and a bare IP address (refused by RFC 6066, deprecated by Node: DEP0123) for an
 * IP-addressed proxy. And a certificate the proxy presents that does not verify becomes undici's own
 * SecureProxyConnectionError (which undici uses for a host-name mismatch at the proxy only): otherwise it reads
 * exactly like a certificate failure at Graph inside the tunnel.
 */
function proxyConnector(proxy: URL, tls: TlsOptions): buildConnector.connector {
  const hostname = proxy.hostname.replace(/^\[|\]$/g, '');
  const servername = isIP(hostname) ? undefined : hostname;
  const connect = buildConnector({ ...tls });
  return (options, callback) =>
    connect({ ...options, servername }, (...result: Parameters<buildConnector.Callback>) => {
      const [error] = result;
      if (error && isCertificateFailure(codeOf(error)))
        callback(new errors.SecureProxyConnectionError(error), null);
      else callback(...result);
    });
}

/**
 * An http target through an https proxy goes in absolute form (RFC 9112 §3.2.2), as through an http proxy: undici
 * 7's ProxyAgent forwards without a tunnel only when the proxy itself is http, and tunnels otherwise. The
 * interceptor (https://github.com/nodejs/undici/blob/main/docs/docs/api/Dispatcher.md#dispatchercomposeinterceptors-interceptor)
 * does what undici's own forwarder does for an http proxy; ProxyAgent has set `host` already.
 */
function absoluteForm(authorization: string | null): Dispatcher.DispatcherComposeInterceptor {
  const proxyHeaders = authorization ? { 'proxy-authorization': authorization } : {};
  return (dispatch) => (options, handler) =>
    dispatch(
      {
        ...options,
        path: `${new URL(String(options.origin)).origin}${options.path}`,
        headers: { ...(options.headers as Record<string, string>), ...proxyHeaders },
      },
      handler,
    );
}

/**
 * One proxy's dispatcher (https://github.com/nodejs/undici/blob/main/docs/docs/api/ProxyAgent.md). `proxyTunnel`
 * false: an http target goes as an absolute-form request, https always through CONNECT. `requestTls` is the TLS to
 * Graph inside the tunnel, `proxyTls` the TLS to an https proxy itself: both trust `ca` when given, Node's store
 * (with NODE_EXTRA_CA_CERTS) otherwise.
 */
function proxyDispatcher(proxyUrl: string, tls: TlsOptions, factory: PoolFactory): Dispatcher {
  const proxy = new URL(proxyUrl);
  const common = { uri: proxyUrl, proxyTunnel: false, ...(tls ? { requestTls: tls } : {}) };
  if (proxy.protocol !== 'https:') return new ProxyAgent({ ...common, factory });
  const authorization = proxyAuthorization(proxy);
  // ProxyAgent builds its proxy connection from `proxyTls`; `clientFactory` gives it ours, built from the same.
  const connect = proxyConnector(proxy, tls);
  // Through the pool factory: the same bound on connections, no pipelining and no undici timers as every pool.
  const forward = () => factory(proxy.origin, { connect }).compose(absoluteForm(authorization));
  return new ProxyAgent({
    ...common,
    ...(tls ? { proxyTls: tls } : {}),
    ...(authorization ? { token: authorization } : {}),
    clientFactory: (origin) => new Pool(origin, { connect }),
    factory: (origin, opts) =>
      new URL(String(origin)).protocol === 'http:' ? forward() : factory(origin, opts),
  });
}

function createRouter(options: HttpTransportOptions): Router {
  const connections = options.maxConnections ?? 256;
  const ca = options.ca as string | string[] | undefined;
  const tls: TlsOptions = ca ? { ca } : undefined;
  // pipelining 1: one request at a time per connection; undici's own timers off, each attempt has its budget.
  const poolOptions = { connections, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 };
  const factory: PoolFactory = (origin, opts) => new Pool(origin, { ...opts, ...poolOptions });
  const direct: Route = {
    dispatcher: new Agent({ ...poolOptions, ...(tls ? { connect: tls } : {}) }),
    proxy: null,
  };
  const proxies = new Map<string, Route>();
  const close = async () => {
    const all = [direct, ...proxies.values()].map((route) => route.dispatcher.destroy());
    await Promise.all(all);
  };
  const settings: ProxySettings = proxySettings(options.proxyUrl, options.env ?? {});
  if (!hasProxy(settings)) return { routeFor: () => direct, close };
  const proxyRoute = (proxyUrl: string): Route => ({
    dispatcher: proxyDispatcher(proxyUrl, tls, factory),
    proxy: describeProxy(proxyUrl),
  });
  const byOrigin = new Map<string, Route>();
  const routeFor = (url: URL): Route => {
    const known = byOrigin.get(url.origin);
    if (known) return known;
    const proxyUrl = proxyFor(settings, url);
    let route = proxyUrl === null ? direct : proxies.get(proxyUrl);
    if (!route) {
      route = proxyRoute(proxyUrl!);
      proxies.set(proxyUrl!, route);
    }
    byOrigin.set(url.origin, route);
    return route;
  };
  return { routeFor, close };
}

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const router = createRouter(options);
  const http = createAxios();
  return {
    async send(request) {
      if (request.signal?.aborted) return { ok: false, ...cancelledFailure(false) };
      const exchange = new Exchange(
        request,
        router.routeFor(request.url),
        options.maxResponseBytes,
      );
      try {
        const config: ExchangeRequestConfig = {
          url: request.url.href,
          method: request.method,
          exchange,
        };
        await http.request(config);
      } catch {
        // The exchange's outcome says why; the axios error (its config holds the token) is dropped here.
      }
      return exchange.started ? exchange.outcome : NOT_STARTED;
    },
    close: () => router.close(),
  };
}

// axios failed before its adapter ran: nothing was sent.
const NOT_STARTED: HttpOutcome = {
  ok: false,
  failure: 'connection',
  sent: false,
  reason: 'the request could not be prepared',
};
