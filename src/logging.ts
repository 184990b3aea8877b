import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { LogLevel } from './config';

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
 * axios error carries the request config with the caller's `Authorization` header.
 */
export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  const serialized: SerializedError = { type: error.name, message: error.message };
  if (typeof code === 'string' || typeof code === 'number') serialized.code = code;
  return serialized;
}

function serializeRequest(request: { method?: string; url?: string; id?: unknown }) {
  return { method: request.method, url: request.url?.split('?')[0], id: request.id };
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError, req: serializeRequest },
  };
  return destination ? pino(options, destination) : pino(options);
}
