import { types } from 'node:util';
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { LogLevel } from '../config';
import type { RequestSummary } from './request-summary';

// Any path where a token could sit in a logged object. Our own serializers never log headers, but a
// mistake elsewhere must still not write a token.
const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'config.headers.Authorization',
  'err.config.headers.Authorization',
];

interface SerializedError {
  type: string;
  message: string;
  code?: unknown;
}

/**
 * Errors are serialized by hand: pino's default error serializer copies every enumerable property, and an
 * axios error carries the request config with the caller's `Authorization` header. An error made in another realm
 * (Node's own, seen from a vm context such as jest's) is an error too: `instanceof Error` alone says it is not.
 */
export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error) && !types.isNativeError(error))
    return { type: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  const serialized: SerializedError = { type: error.name, message: error.message };
  if (typeof code === 'string' || typeof code === 'number') serialized.code = code;
  return serialized;
}

/**
 * Where an error was thrown: up to `max` frames of its stack (file positions), without its message line, which
 * `serializeError` gives. For errors the operator must chase (a bug, a crash), never for the caller's mistakes.
 */
export function stackFrames(error: unknown, max = 8): string[] {
  if (!(error instanceof Error) && !types.isNativeError(error)) return [];
  return (error.stack ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at '))
    .slice(0, max);
}

function serializeRequest(request: { method?: string; url?: string; id?: unknown }) {
  return { method: request.method, url: request.url?.split('?')[0], id: request.id };
}

// Marks the loggers built here, and through the prototype chain their children (Fastify's per-request ones):
// their lines have pino's default shape, which `logRequestCompleted` writes itself.
const DEFAULT_SHAPE = Symbol('pino default line shape');

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError, req: serializeRequest },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  Object.defineProperty(logger, DEFAULT_SHAPE, { value: true });
  return logger;
}

/** The one line a request leaves when its answer has been sent. */
export interface RequestLine {
  readonly method: string;
  /** Without its query string. */
  readonly url: string;
  readonly statusCode: number;
  readonly durationMs: number;
  /** What a GraphQL request reports; null for other routes. */
  readonly summary: RequestSummary | null;
}

const { chindingsSym, needsMetadataGsym, streamSym } = pino.symbols;
const INFO = 30;

/**
 * The line pino writes for `log.info({ method, url, statusCode, durationMs, ...summary }, 'request completed')`,
 * built in one template: on every request pino's generic path (a key loop, a serializer and stringifier lookup and
 * a string per value) cost about 2% of the gateway's CPU. pino's own `time`, bindings (`pid`, `hostname`, `reqId`)
 * and key order are kept, so the line is the same; test/unit/logging.spec.ts compares the two. Strings go through
 * `JSON.stringify`, as pino's do on Node 25 and later. Loggers of another shape (not built here, or a destination
 * that wants pino's metadata) go through pino. https://getpino.io/#/docs/api?id=pino-symbols
 */
export function logRequestCompleted(log: Logger, line: RequestLine): void {
  const internals = log as unknown as Record<symbol, unknown>;
  const stream = internals[streamSym] as DestinationStream & Record<symbol, unknown>;
  const ownShape = internals[DEFAULT_SHAPE] === true;
  if (!ownShape || stream[needsMetadataGsym] === true) {
    const { method, url, statusCode, durationMs, summary } = line;
    log.info({ method, url, statusCode, durationMs, ...summary }, 'request completed');
    return;
  }
  if (log.levelVal > INFO) return;
  stream.write(
    `{"level":30,"time":${Date.now()}${internals[chindingsSym] as string},"method":${JSON.stringify(line.method)},"url":${JSON.stringify(line.url)},"statusCode":${line.statusCode},"durationMs":${line.durationMs}${summaryFields(line.summary)},"msg":"request completed"}\n`,
  );
}

function summaryFields(summary: RequestSummary | null): string {
  if (summary === null) return '';
  const { operationName, documentId, errorCodes, graphRequestIds, clientRequestId } = summary;
  return `,"operationName":${operationName === null ? 'null' : JSON.stringify(operationName)},"documentId":${documentId === null ? 'null' : JSON.stringify(documentId)},"errorCodes":${JSON.stringify(errorCodes)},"graphRequestIds":${JSON.stringify(graphRequestIds)},"clientRequestId":${JSON.stringify(clientRequestId)}`;
}
