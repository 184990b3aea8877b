import http from 'node:http';
import https from 'node:https';
import axios, { isAxiosError } from 'axios';
import { keepAliveOnce } from './agent';

/**
 * The one module that owns the HTTP client. It sends one attempt and reports what happened; it never throws,
 * never retries, and never keeps or logs a request's headers (the caller's token is among them).
 */
export interface HttpTransportOptions {
  readonly maxResponseBytes: number;
  /** Upper bound of connections per origin. */
  readonly maxConnections?: number;
  /** GRAPH_PROXY_URL: an explicit egress proxy. */
  readonly proxyUrl?: string | null;
  /** The environment to read HTTPS_PROXY / HTTP_PROXY / NO_PROXY from when proxyUrl is not set. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export type GraphHttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  readonly method: GraphHttpMethod;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** This attempt's time budget. */
  readonly timeoutMs: number;
  /** The caller's cancellation. Already aborted: nothing is sent. */
  readonly signal?: AbortSignal;
}

export type HttpFailure = 'timeout' | 'cancelled' | 'connection' | 'too-large' | 'broken-body';

export type HttpOutcome =
  | {
      readonly ok: true;
      readonly status: number;
      /** Lower-case names, multi-values joined with ', '. */
      readonly headers: Readonly<Record<string, string | undefined>>;
      readonly body: string;
    }
  | {
      readonly ok: false;
      readonly failure: HttpFailure;
      /** Whether the request may have reached Graph. */
      readonly sent: boolean;
      /** Human and safe: no token, no proxy credentials. */
      readonly reason: string;
    };

export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpOutcome>;
  close(): Promise<void>;
}

// The request never left this machine: DNS failed or nothing listened.
const NOT_SENT_CODES: ReadonlySet<unknown> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Response headers with lower-case names, multi-valued ones joined as HTTP would fold them. */
export function lowerCaseHeaders(headers: object): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') result[name.toLowerCase()] = value;
    else if (Array.isArray(value)) result[name.toLowerCase()] = value.join(', ');
  }
  return result;
}

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxConnections ?? 256,
    maxFreeSockets: 64,
  };
  const httpAgent = keepAliveOnce(new http.Agent(agentOptions));
  const httpsAgent = keepAliveOnce(new https.Agent(agentOptions));
  const instance = axios.create({
    httpAgent,
    httpsAgent,
    maxRedirects: 0, // a redirect is never followed: it could carry the token to another origin
    maxContentLength: options.maxResponseBytes,
    responseType: 'text',
    transformResponse: [(data: unknown) => data], // parse in the caller: Graph can answer HTML or cut-off JSON
    transformRequest: [(data: unknown) => data], // bodies are already JSON text
    validateStatus: () => true,
    proxy: false,
  });

  async function send(request: HttpRequest): Promise<HttpOutcome> {
    if (request.signal?.aborted)
      return { ok: false, failure: 'cancelled', sent: false, reason: 'cancelled' };
    const controller = new AbortController();
    let timedOut = false;
    const onAbort = () => controller.abort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => {
        timedOut = true;
        controller.abort();
      },
      Math.max(0, request.timeoutMs),
    );
    try {
      const response = await instance.request<string>({
        method: request.method,
        url: request.url.href,
        headers: request.headers,
        data: request.body,
        signal: controller.signal,
      });
      return {
        ok: true,
        status: response.status,
        headers: lowerCaseHeaders(response.headers),
        body: response.data ?? '',
      };
    } catch (error) {
      // Never rethrow or keep the axios error: its config holds the caller's token.
      if (request.signal?.aborted)
        return { ok: false, failure: 'cancelled', sent: true, reason: 'cancelled' };
      if (timedOut) return { ok: false, failure: 'timeout', sent: true, reason: 'timed out' };
      return failureOf(error, options.maxResponseBytes);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    send,
    close: async () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function failureOf(error: unknown, maxResponseBytes: number): HttpOutcome {
  const code = isAxiosError(error) ? error.code : undefined;
  if (code === 'ERR_BAD_RESPONSE') {
    // The answer started, then broke: too large, or the connection dropped in the middle of the body.
    if (isAxiosError(error) && /maxContentLength/.test(error.message))
      return {
        ok: false,
        failure: 'too-large',
        sent: true,
        reason: `larger than ${maxResponseBytes} bytes`,
      };
    return {
      ok: false,
      failure: 'broken-body',
      sent: true,
      reason: 'the connection broke in the middle of the body',
    };
  }
  return {
    ok: false,
    failure: 'connection',
    sent: !NOT_SENT_CODES.has(code),
    reason: typeof code === 'string' ? code : 'no connection',
  };
}
