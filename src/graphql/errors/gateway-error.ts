import { GraphQLError } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';

/** Every `extensions.code` this gateway sets. Clients branch on these, never on messages. */
export enum GatewayErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  THROTTLED = 'THROTTLED',
  UPSTREAM_ERROR = 'UPSTREAM_ERROR',
  UPSTREAM_TIMEOUT = 'UPSTREAM_TIMEOUT',
  UPSTREAM_UNAVAILABLE = 'UPSTREAM_UNAVAILABLE',
  /** The update was applied (Graph answered 204), reading it back failed: `extensions.readBack` says why. */
  READ_BACK_FAILED = 'READ_BACK_FAILED',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/** What the gateway tells a client about the Graph answer behind an error: never Graph's raw body or headers. */
export interface GraphErrorDetails {
  readonly status: number | null;
  readonly code: string | null;
  readonly message: string | null;
  readonly requestId: string | null;
  readonly clientRequestId: string | null;
  readonly date: string | null;
  /** Intune's support ids, unwrapped from its JSON-in-message errors, when present. */
  readonly activityId?: string;
  readonly operationId?: string;
}

export interface GatewayErrorOptions {
  readonly graph?: GraphErrorDetails;
  readonly retryAfterSeconds?: number;
  /** Extra client-facing extensions, for example the name of the bad argument. */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** The one error class of the gateway: it always carries an `extensions.code`. */
export class GatewayError extends GraphQLError {
  readonly code: GatewayErrorCode;

  constructor(code: GatewayErrorCode, message: string, options: GatewayErrorOptions = {}) {
    const extensions: Record<string, unknown> = { ...options.extensions, code };
    if (options.graph) extensions.graph = options.graph;
    if (options.retryAfterSeconds !== undefined)
      extensions.retryAfterSeconds = options.retryAfterSeconds;
    super(message, { extensions });
    this.name = 'GatewayError';
    this.code = code;
  }
}

export function isGatewayError(error: unknown): error is GatewayError {
  return error instanceof GatewayError;
}

export function badUserInput(message: string, argument?: string): GatewayError {
  return new GatewayError(
    GatewayErrorCode.BAD_USER_INPUT,
    message,
    argument ? { extensions: { argument } } : {},
  );
}

/**
 * Codes that Apollo Server and graphql-js set themselves for problems with the request (parse, validation,
 * variable coercion): safe and useful to show as they are.
 */
const REQUEST_ERROR_CODES: ReadonlySet<unknown> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Whether an error is one the client is not shown (a bug, a thrown TypeError): neither the gateway's own nor one
 * Apollo Server or graphql-js raised about the request. `code` is the code of the error as formatted.
 */
export function isMaskedError(error: unknown, code: unknown): boolean {
  const original = unwrapResolverError(error);
  if (isGatewayError(original)) return false;
  return !(original instanceof GraphQLError && REQUEST_ERROR_CODES.has(code));
}

/**
 * Apollo's `formatError`: gateway errors and request errors pass; anything else (a bug, a thrown TypeError)
 * is masked so that no internal detail, stack or upstream body reaches the client (it is logged instead:
 * observability/operation-plugin.ts).
 */
export function formatGatewayError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  return isMaskedError(error, formatted.extensions?.code)
    ? masked(formatted)
    : withoutStacktrace(formatted);
}

function withoutStacktrace(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions || !('stacktrace' in formatted.extensions)) return formatted;
  const { stacktrace: _dropped, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}

function masked(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return {
    message: 'Internal server error',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: GatewayErrorCode.INTERNAL_SERVER_ERROR },
  };
}
