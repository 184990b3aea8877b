import http from 'node:http';
import https from 'node:https';
import axios, { isAxiosError } from 'axios';
import type { AxiosInstance } from 'axios';
import { GatewayError, GatewayErrorCode } from '../errors';
import {
  graphResponseError,
  upstreamMalformedError,
  upstreamTimeoutError,
  upstreamUnavailableError,
} from './errors';
import type { GraphHttpResponse } from './errors';

export type GraphMethod = 'GET' | 'PATCH' | 'POST' | 'DELETE';

export interface GraphTransportOptions {
  /** Graph's root with its version, e.g. `https://graph.microsoft.com/beta`; no trailing slash. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly userAgent: string;
  /** Upper bound of open sockets to Graph, so a burst cannot exhaust file descriptors. */
  readonly maxSockets?: number;
}

/** One per process: the axios instance and its keep-alive agents. Holds no user data. */
export interface GraphTransport {
  readonly options: GraphTransportOptions;
  readonly base: URL;
  readonly http: AxiosInstance;
  close(): void;
}

export function createGraphTransport(options: GraphTransportOptions): GraphTransport {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 256,
    maxFreeSockets: 64,
  };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const instance = axios.create({
    httpAgent,
    httpsAgent,
    maxRedirects: 0, // a redirect is never followed: it could carry the token to another origin
    maxContentLength: options.maxResponseBytes,
    responseType: 'text',
    transformResponse: [(data: unknown) => data], // parse ourselves: Graph can answer HTML or cut-off JSON
    validateStatus: () => true,
    proxy: false,
  });
  return {
    options,
    base: new URL(options.baseUrl),
    http: instance,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

export interface GraphClientOptions {
  readonly transport: GraphTransport;
  /** The caller's `Authorization` header exactly as received, or `null` when it held no bearer token. */
  readonly authorization: string | null;
  readonly clientRequestId: string;
  /** Aborts upstream calls, e.g. when the GraphQL client goes away. */
  readonly signal?: AbortSignal;
}

export interface GraphRequest {
  readonly method: GraphMethod;
  /** Path relative to the base URL, starting with `/`, ids already validated and encoded. */
  readonly path: string;
  readonly body?: unknown;
}

export interface GraphResult {
  readonly status: number;
  /** The JSON object Graph answered, or `undefined` for 204 and empty bodies. */
  readonly body: Readonly<Record<string, unknown>> | undefined;
  readonly requestId: string | null;
  readonly clientRequestId: string | null;
}

/** Per request: sends with the caller's token and `client-request-id`, and maps every failure. */
export interface GraphClient {
  readonly clientRequestId: string;
  request(request: GraphRequest): Promise<GraphResult>;
}

export function createGraphClient(options: GraphClientOptions): GraphClient {
  return {
    clientRequestId: options.clientRequestId,
    async request(request) {
      if (options.authorization === null) throw missingTokenError();
      const response = await send(options, request, options.authorization);
      if (response.status < 200 || response.status > 299) throw graphResponseError(response);
      return {
        status: response.status,
        body: parseObjectBody(response.body),
        requestId: response.headers['request-id'] ?? null,
        clientRequestId: response.headers['client-request-id'] ?? null,
      };
    },
  };
}

export function missingTokenError(): GatewayError {
  return new GatewayError(
    GatewayErrorCode.UNAUTHENTICATED,
    'This field needs an `Authorization: Bearer <token>` header with a Microsoft Graph access token.',
  );
}

/** The absolute URL for a Graph path; refuses anything that would leave the configured base. */
export function graphUrl(base: URL, path: string): URL {
  const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base.origin);
  if (
    !path.startsWith('/') ||
    url.origin !== base.origin ||
    !url.pathname.startsWith(base.pathname)
  )
    throw new Error(`Refusing a Graph path outside the base URL: ${path}`);
  return url;
}

function requestHeaders(options: GraphClientOptions, authorization: string, hasBody: boolean) {
  const headers: Record<string, string> = {
    Authorization: authorization,
    Accept: 'application/json',
    'client-request-id': options.clientRequestId,
    'User-Agent': options.transport.options.userAgent,
  };
  if (hasBody) headers['Content-Type'] = 'application/json';
  return headers;
}

async function send(
  options: GraphClientOptions,
  request: GraphRequest,
  authorization: string,
): Promise<GraphHttpResponse> {
  const { transport } = options;
  const url = graphUrl(transport.base, request.path);
  const hasBody = request.body !== undefined;
  const attempt = new AbortController();
  const abort = () => attempt.abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(abort, transport.options.timeoutMs);
  try {
    const response = await transport.http.request<string>({
      method: request.method,
      url: url.href,
      headers: requestHeaders(options, authorization, hasBody),
      data: hasBody ? JSON.stringify(request.body) : undefined,
      signal: attempt.signal,
    });
    return {
      status: response.status,
      headers: lowerCaseHeaders(response.headers),
      body: response.data ?? '',
    };
  } catch (error) {
    // Never rethrow or attach the axios error: its config holds the caller's token.
    throw transportError(error, attempt.signal.aborted && !options.signal?.aborted, transport);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', abort);
  }
}

function transportError(
  error: unknown,
  timedOut: boolean,
  transport: GraphTransport,
): GatewayError {
  if (timedOut) return upstreamTimeoutError(transport.options.timeoutMs);
  if (
    isAxiosError(error) &&
    error.code === 'ERR_BAD_RESPONSE' &&
    /maxContentLength/.test(error.message)
  )
    return upstreamMalformedError(`larger than ${transport.options.maxResponseBytes} bytes`);
  if (isAxiosError(error) && error.code === 'ERR_CANCELED')
    return new GatewayError(GatewayErrorCode.UPSTREAM_UNAVAILABLE, 'The request was cancelled.');
  return upstreamUnavailableError();
}

function lowerCaseHeaders(headers: object): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') result[name.toLowerCase()] = value;
    else if (Array.isArray(value)) result[name.toLowerCase()] = value.join(', ');
  }
  return result;
}

function parseObjectBody(body: string): Record<string, unknown> | undefined {
  if (body.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw upstreamMalformedError('the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw upstreamMalformedError('the body is not a JSON object');
  return parsed as Record<string, unknown>;
}
