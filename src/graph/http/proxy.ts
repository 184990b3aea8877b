/**
 * Which egress proxy, if any, a Graph call goes through. Pure (no I/O): the HTTP module asks it once per origin.
 *
 * The rules are undici's `EnvHttpProxyAgent`'s, so the gateway behaves like Node's own fetch with
 * `NODE_USE_ENV_PROXY`: https://github.com/nodejs/undici/blob/main/docs/docs/api/EnvHttpProxyAgent.md
 * - `http_proxy` / `HTTP_PROXY` (lower case first) for http targets, and for https targets too when no
 *   `https_proxy` / `HTTPS_PROXY` is set; `https_proxy` / `HTTPS_PROXY` only for https targets;
 * - `no_proxy` / `NO_PROXY`: host names separated by commas or spaces, each optionally `:port`, with an optional
 *   leading `.` or `*.`; a host matches itself and its subdomains; exactly `*` means never proxy.
 * `GRAPH_PROXY_URL`, when set, replaces both proxy variables; `NO_PROXY` still applies (as with curl).
 */

export type ProxyEnv = Readonly<Record<string, string | undefined>>;

interface NoProxyEntry {
  readonly hostname: string;
  /** 0: any port. */
  readonly port: number;
}

export interface ProxySettings {
  readonly httpProxy: string | null;
  readonly httpsProxy: string | null;
  /** `NO_PROXY` is exactly `*`. */
  readonly bypassAll: boolean;
  readonly noProxy: readonly NoProxyEntry[];
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

function parseNoProxy(raw: string): NoProxyEntry[] {
  const entries: NoProxyEntry[] = [];
  for (const entry of raw.split(/[,\s]/)) {
    if (!entry) continue;
    const withPort = /^(.+):(\d+)$/.exec(entry);
    entries.push({
      hostname: (withPort ? withPort[1]! : entry).replace(/^\*?\./, '').toLowerCase(),
      port: withPort ? Number.parseInt(withPort[2]!, 10) : 0,
    });
  }
  return entries;
}

/** The proxy settings from `GRAPH_PROXY_URL` (when set) and the environment's proxy variables. */
export function proxySettings(proxyUrl: string | null | undefined, env: ProxyEnv): ProxySettings {
  // `??`, not `||`: as in undici, an empty lower-case variable hides the upper-case one.
  const httpProxy = proxyUrl || (env.http_proxy ?? env.HTTP_PROXY) || null;
  const httpsProxy = proxyUrl || (env.https_proxy ?? env.HTTPS_PROXY) || httpProxy;
  const noProxy = env.no_proxy ?? env.NO_PROXY ?? '';
  return { httpProxy, httpsProxy, bypassAll: noProxy === '*', noProxy: parseNoProxy(noProxy) };
}

export function hasProxy(settings: ProxySettings): boolean {
  return settings.httpProxy !== null || settings.httpsProxy !== null;
}

/** The proxy URL a request to `target` goes through, or null to connect directly. */
export function proxyFor(settings: ProxySettings, target: URL): string | null {
  const proxy = target.protocol === 'https:' ? settings.httpsProxy : settings.httpProxy;
  if (proxy === null || settings.bypassAll) return null;
  // `host` without its port keeps an IPv6 address's brackets, as NO_PROXY writes them.
  const hostname = target.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(target.port, 10) || DEFAULT_PORTS[target.protocol] || 0;
  for (const entry of settings.noProxy) {
    if (entry.port && entry.port !== port) continue;
    if (hostname === entry.hostname || hostname.endsWith(`.${entry.hostname}`)) return null;
  }
  return proxy;
}

/** The proxy's scheme, host and port, for messages: never its credentials. */
export function describeProxy(proxyUrl: string): string {
  try {
    const url = new URL(proxyUrl);
    return `${url.protocol}//${url.host}`;
  } catch {
    return 'the configured proxy';
  }
}

/**
 * The `Proxy-Authorization` a proxy URL's credentials make, or null: Basic, percent-decoded, and only with both a
 * user and a password, as undici's ProxyAgent makes it from the URL.
 */
export function proxyAuthorization(proxy: URL): string | null {
  if (!proxy.username || !proxy.password) return null;
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

function percentDecodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a proxy URL cannot be used, or null when it can. The message never repeats the value: it may hold a
 * password.
 */
export function proxyUrlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http(s) URL such as http://proxy.example.com:3128 (value not shown: it may hold credentials)';
  }
  // Not even the scheme is repeated: `user:password@host` parses as the scheme `user:`.
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return 'must use http or https, e.g. http://proxy.example.com:3128 (value not shown: it may hold credentials)';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    return 'must be a proxy origin (scheme, optional user:password@, host and port), without a path, query or fragment';
  // Credentials are sent percent-decoded: one that does not decode would fail every Graph call, not the start.
  if (!percentDecodes(url.username) || !percentDecodes(url.password))
    return 'has a user name or password that is not valid percent-encoding: write % as %25 (value not shown: it may hold credentials)';
  return null;
}

/** The egress proxy configuration: GRAPH_PROXY_URL, and the environment's proxy variables for undici's rules. */
export interface GraphProxyConfig {
  readonly url: string | null;
  /** Only the proxy variables that are set (HTTPS_PROXY, HTTP_PROXY, NO_PROXY and their lower-case forms). */
  readonly env: Readonly<Record<string, string>>;
}

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] as const;
const NO_PROXY_VARIABLES = ['no_proxy', 'NO_PROXY'] as const;

export type ProxyConfigResult =
  | { readonly ok: true; readonly config: GraphProxyConfig }
  | { readonly ok: false; readonly variable: string; readonly problem: string };

/** Reads and checks the proxy variables once, at start; a bad one is named, its value never shown. */
export function readProxyConfig(env: ProxyEnv): ProxyConfigResult {
  const picked: Record<string, string> = {};
  for (const name of [...PROXY_VARIABLES, ...NO_PROXY_VARIABLES]) {
    const value = env[name];
    if (value === undefined) continue;
    const problem =
      value !== '' && (PROXY_VARIABLES as readonly string[]).includes(name)
        ? proxyUrlProblem(value)
        : null;
    if (problem) return { ok: false, variable: name, problem };
    picked[name] = value;
  }
  const url = env.GRAPH_PROXY_URL?.trim() || null;
  const problem = url === null ? null : proxyUrlProblem(url);
  if (problem) return { ok: false, variable: 'GRAPH_PROXY_URL', problem };
  return { ok: true, config: Object.freeze({ url, env: Object.freeze(picked) }) };
}
