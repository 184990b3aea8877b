import http from 'node:http';
import https from 'node:https';
import { keepAliveOnce } from './agent';
import axios, { isAxiosError } from 'axios';
import type { AxiosInstance } from 'axios';
import { GatewayError, GatewayErrorCode } from '../errors';
import { upstreamMalformedError, upstreamTimeoutError, upstreamUnavailableError } from './errors';
import { classifyPath, graphUrl } from './paths';
import type { PathClass } from './paths';
import type { Span } from '@opentelemetry/api';
import { traceGraphCall } from '../telemetry';
import { lowerCaseHeaders, toAttempt } from './response';
import type { Attempt } from './response';
import { decideRetry } from './retry';
import type { RetryPolicyOptions } from './retry';
import type { GraphClient, GraphClientOptions, GraphRequest, GraphResult } from './types';

export type {
  GraphAttemptEvent,
  GraphClient,
  GraphClientEvents,
  GraphClientOptions,
  GraphRequest,
  GraphResult,
} from './types';

export type { GraphMethod } from './retry';

export interface GraphTransportOptions {
  /** Graph's root with its version, e.g. `https://graph.microsoft.com/beta`; no trailing slash. */
  readonly baseUrl: string;
  /** Per attempt (GRAPH_TIMEOUT_MS). */
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly userAgent: string;
  readonly retry: RetryPolicyOptions;
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
  const httpAgent = keepAliveOnce(new http.Agent(agentOptions));
  const httpsAgent = keepAliveOnce(new https.Agent(agentOptions));
  const instance = axios.create({
    httpAgent,
    httpsAgent,
    maxRedirects: 0, // a redirect is never followed: it could carry the token to another origin
    maxContentLength: options.maxResponseBytes,
    responseType: 'text',
    transformResponse: [(data: unknown) => data], // parse ourselves: Graph can answer HTML or cut-off JSON
    // Bodies are already JSON strings: axios's default transform would parse each one again to check it
    // (about 40 µs of CPU per call in bench/client-micro.ts).
    transformRequest: [(data: unknown) => data],
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

export function createGraphClient(options: GraphClientOptions): GraphClient {
  return {
    clientRequestId: options.clientRequestId,
    deadline: options.deadline,
    retryPolicy: options.transport.options.retry,
    base: options.transport.base,
    hasToken: options.authorization !== null,
    events: options.events ?? {},
    async request(request) {
      if (options.authorization === null) throw missingTokenError();
      const { variant, target } = classifyPath(request.path);
      const attributes = {
        'http.request.method': request.method,
        'graph.variant': variant,
        'graph.target': target,
      };
      return traceGraphCall(`graph ${request.method} ${variant}`, attributes, async (span) => {
        const result = await requestWithRetries(options, request, span, { variant, target });
        span?.setAttributes({
          'http.response.status_code': result.status,
          'graph.request_id': result.requestId ?? '',
        });
        return result;
      });
    },
  };
}

/** Sends, and sends again as the retry policy says; maps every failure to a gateway error. */
async function requestWithRetries(
  options: GraphClientOptions,
  request: GraphRequest,
  span: Span | undefined,
  pathClass: PathClass,
): Promise<GraphResult> {
  const { authorization } = options;
  if (authorization === null) throw missingTokenError();
  const url = graphUrl(options.transport.base, request.path);
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  for (let retries = 0; ; retries += 1) {
    const started = Date.now();
    if (started >= options.deadline) throw deadlineError(options);
    span?.setAttribute('graph.attempts', retries + 1);
    const attempt = await send(options, {
      ...request,
      url,
      payload,
      retries,
      authorization,
    });
    const event = {
      method: request.method,
      path: request.path,
      ...pathClass,
      attempt: retries + 1,
      status: attempt.ok ? attempt.response.status : attempt.status,
      durationMs: Date.now() - started,
      requestId: (attempt.ok ? attempt.response.headers['request-id'] : attempt.requestId) ?? null,
      failure: attempt.ok ? null : attempt.failure.kind,
    };
    if (attempt.ok) {
      options.events?.attempt?.({ ...event, retryInMs: null });
      return {
        status: attempt.response.status,
        body: attempt.body,
        requestId: attempt.response.headers['request-id'] ?? null,
        clientRequestId: attempt.response.headers['client-request-id'] ?? null,
      };
    }
    const decision = decideRetry(options.transport.options.retry, {
      method: request.method,
      failure: attempt.failure,
      retriesSoFar: retries,
      remainingMs: options.deadline - Date.now(),
      random: Math.random(),
    });
    options.events?.attempt?.({
      ...event,
      retryInMs: decision.retry ? decision.delayMs : null,
    });
    if (!decision.retry) throw attempt.error;
    await sleep(decision.delayMs, options.signal);
  }
}

export function missingTokenError(): GatewayError {
  return new GatewayError(
    GatewayErrorCode.UNAUTHENTICATED,
    'This field needs an `Authorization: Bearer <token>` header with a Microsoft Graph access token.',
  );
}

function deadlineError(options: GraphClientOptions): GatewayError {
  if (options.signal?.aborted) return cancelledError();
  return new GatewayError(
    GatewayErrorCode.UPSTREAM_TIMEOUT,
    'Microsoft Graph did not answer within the time this operation may take.',
  );
}

function cancelledError(): GatewayError {
  return new GatewayError(GatewayErrorCode.UPSTREAM_UNAVAILABLE, 'The request was cancelled.');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface PreparedRequest extends GraphRequest {
  readonly url: URL;
  readonly payload: string | undefined;
  readonly retries: number;
  readonly authorization: string;
}

function requestHeaders(
  options: GraphClientOptions,
  request: PreparedRequest,
): Record<string, string> {
  const headers: Record<string, string> = {
    Authorization: request.authorization,
    Accept: 'application/json',
    'client-request-id': options.clientRequestId,
    'User-Agent': options.transport.options.userAgent,
  };
  if (request.payload !== undefined) headers['Content-Type'] = 'application/json';
  if (request.retries > 0) headers['Retry-Attempt'] = String(request.retries);
  return headers;
}

/** One attempt, bounded by GRAPH_TIMEOUT_MS and the deadline; never throws. */
async function send(options: GraphClientOptions, request: PreparedRequest): Promise<Attempt> {
  const { transport } = options;
  const controller = new AbortController();
  let timedOut = false;
  const onCallerAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const budget = Math.min(transport.options.timeoutMs, options.deadline - Date.now());
  const timer = setTimeout(
    () => {
      timedOut = true;
      controller.abort();
    },
    Math.max(0, budget),
  );
  try {
    const response = await transport.http.request<string>({
      method: request.method,
      url: request.url.href,
      headers: requestHeaders(options, request),
      data: request.payload,
      signal: controller.signal,
    });
    return toAttempt({
      status: response.status,
      headers: lowerCaseHeaders(response.headers),
      body: response.data ?? '',
    });
  } catch (error) {
    // Never rethrow or attach the axios error: its config holds the caller's token.
    return transportFailure(error, timedOut, options);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
}

// The request never left this machine: DNS failed or nothing listened.
const NOT_SENT_CODES: ReadonlySet<unknown> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

function transportFailure(error: unknown, timedOut: boolean, options: GraphClientOptions): Attempt {
  const { timeoutMs, maxResponseBytes } = options.transport.options;
  if (options.signal?.aborted)
    return {
      ok: false,
      status: null,
      error: cancelledError(),
      failure: { kind: 'connection', sent: true },
    };
  if (timedOut)
    return {
      ok: false,
      status: null,
      error: upstreamTimeoutError(timeoutMs),
      failure: { kind: 'timeout' },
    };
  const code = isAxiosError(error) ? error.code : undefined;
  if (code === 'ERR_BAD_RESPONSE') {
    // The answer started, then broke: too large, or the connection dropped in the middle of the body.
    const tooLarge = isAxiosError(error) && /maxContentLength/.test(error.message);
    const reason = tooLarge
      ? `larger than ${maxResponseBytes} bytes`
      : 'the connection broke in the middle of the body';
    return {
      ok: false,
      status: null,
      error: upstreamMalformedError(reason),
      failure: { kind: 'malformed' },
    };
  }
  return {
    ok: false,
    status: null,
    error: upstreamUnavailableError(),
    failure: { kind: 'connection', sent: !NOT_SENT_CODES.has(code) },
  };
}
