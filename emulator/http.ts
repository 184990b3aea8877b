import type { IncomingMessage, ServerResponse } from 'node:http';
import { serviceError, withInnerError } from './answer';
import type { EmulatorAnswer } from './answer';
import { gzipAnswer, shouldGzip } from './compression';
import type { FaultRule } from './faults';
import type { RecordedRequest } from './state';

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly clientRequestId: string;
  /** The request's entry in the request log (admin calls have none): the answer's coding is noted there. */
  recorded?: RecordedRequest;
}

/** Graph's response headers. https://learn.microsoft.com/graph/best-practices-concept#reliability-and-support */
export function graphHeaders(
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

/**
 * Writes every answer of Graph's routes, the admin API and status faults: Graph's headers, and a JSON body that is
 * gzipped when the client asked for it and it is not tiny (compression.ts). Empty answers (204) stay as they are.
 */
export function sendAnswer(
  exchange: Exchange,
  answer: EmulatorAnswer,
  extra: Record<string, string> = {},
): void {
  const headers = graphHeaders(exchange, { ...answer.headers, ...extra });
  if (!answer.body) {
    exchange.res.writeHead(answer.status, headers).end();
    return;
  }
  const { body } = withInnerError(answer, exchange, new Date());
  const text = JSON.stringify(body);
  headers['Content-Type'] =
    'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
  if (!shouldGzip(text, exchange.req.headers['accept-encoding'])) {
    exchange.res.writeHead(answer.status, headers).end(text);
    return;
  }
  gzipAnswer(text, headers, (zippedHeaders, bytes, encoding) => {
    if (exchange.res.destroyed) return; // the client left while it was compressed
    if (exchange.recorded && encoding) exchange.recorded.answerEncoding = encoding;
    exchange.res.writeHead(answer.status, zippedHeaders).end(bytes);
  });
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

/**
 * Answers as the fault rule says; returns false when the rule only delayed and the request goes on. `finish`
 * turns a fault's error into what the current mode sends (Intune's wrapping).
 */
export function applyFault(
  exchange: Exchange,
  rule: FaultRule,
  finish: (answer: EmulatorAnswer) => EmulatorAnswer,
): boolean {
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
  sendAnswer(exchange, finish(faultError(status)), extra);
  return true;
}

/** The error a fault rule's status stands for: raised by the service behind Graph. */
export function faultError(status: number): EmulatorAnswer {
  return serviceError(status, faultCode(status), `Emulated fault: HTTP ${status}.`);
}

/**
 * Graph's usual `error.code` for a status: the codes this emulator answers elsewhere (401 and 403 as `auth.ts` does,
 * 404, 405, 409 and 413 as the routes do, 424 as `$batch` does), the others after the status message Graph's error
 * page gives them. Any other status: `InternalServerError` from 500 up, else `generalException`, that page's code
 * for an unspecified error. https://learn.microsoft.com/graph/errors
 */
const FAULT_CODES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'InvalidAuthenticationToken',
  403: 'Authorization_RequestDenied',
  404: 'ResourceNotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  412: 'PreconditionFailed',
  413: 'RequestEntityTooLarge',
  424: 'FailedDependency',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** The code of a fault's error body (in `intune` mode, `wrapIntuneError` replaces it with Intune's). */
export function faultCode(status: number): string {
  return FAULT_CODES[status] ?? (status >= 500 ? 'InternalServerError' : 'generalException');
}
