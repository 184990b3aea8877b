/**
 * Where each Graph call goes: undici's keep-alive pools (a bound on connections per origin, no pipelining, no
 * undici timers: each attempt has its own budget), directly or through an egress proxy as src/graph/http/proxy.ts
 * decides. Part of the HTTP module (src/graph/http/transport.ts), the only place besides it that uses undici.
 */
import { isIP } from 'node:net';
import { Agent, Pool, ProxyAgent, buildConnector, errors } from 'undici';
import type { Dispatcher } from 'undici';
import { codeOf, isCertificateFailure } from './failures';
import { describeProxy, hasProxy, proxyAuthorization, proxyFor, proxySettings } from './proxy';
import type { ProxySettings } from './proxy';
import { DEFAULT_MAX_CONNECTIONS } from './types';
import type { HttpTransportOptions } from './types';

/** Where one origin's requests go: the pool, and the proxy (described, without credentials) if any. */
export interface Route {
  readonly dispatcher: Dispatcher;
  readonly proxy: string | null;
}

export interface Router {
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

export function createRouter(options: HttpTransportOptions): Router {
  const connections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
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
