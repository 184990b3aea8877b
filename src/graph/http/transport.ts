/**
 * The HTTP module, which alone owns HTTP to Graph: an axios instance whose adapter (axios's documented `adapter`
 * option, https://github.com/axios/axios/blob/v1.x/lib/adapters/README.md) sends through undici. Its parts:
 * routes.ts, undici's keep-alive pools (a bound on connections per origin, no pipelining) and egress proxies;
 * exchange.ts, one attempt, where the gateway's own rules live: a redirect is never followed, the answer is
 * capped in size, each attempt has its own time budget and follows the caller's cancellation, and every outcome
 * is a value, never a thrown error; decoding.ts, gzip answers inflated as they arrive, under the same cap.
 */
import { Axios, AxiosError } from 'axios';
import type { AxiosRequestConfig, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { Exchange } from './exchange';
import { createRouter } from './routes';
import type { Route } from './routes';
import type { HttpFailure } from './failures';
import type { HttpOutcome, HttpTransport, HttpTransportOptions } from './types';

export type {
  GraphHttpMethod,
  HttpFailure,
  HttpOutcome,
  HttpRequest,
  HttpTransport,
  HttpTransportOptions,
  AttemptWatcher,
  WatchedAttempt,
} from './types';

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
  'unsupported-encoding': AxiosError.ERR_BAD_RESPONSE,
};

/**
 * The axios instance, built from `Axios` itself rather than `axios.create()` so that its defaults are only the
 * adapter: no default headers to merge per call, no transitional options to validate, no transforms (bodies are
 * strings both ways). The adapter resolves whatever the status, and follows no redirect.
 */
function createAxios(): Axios {
  return new Axios({ adapter: undiciAdapter });
}

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const router = createRouter(options);
  const http = createAxios();
  return {
    async send(request) {
      let route: Route;
      try {
        route = router.routeFor(request.url);
      } catch {
        // A proxy URL config did not check (this module can be built without config): nothing is sent, nothing thrown.
        return NOT_STARTED;
      }
      const exchange = new Exchange(request, route, options.maxResponseBytes);
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
