import { GatewayError, GatewayErrorCode, isGatewayError } from './gateway-error';
import type { GraphErrorDetails } from './gateway-error';
import { isGraphError, isGraphInputError } from '../../graph';
import type { GraphError, PathVariant } from '../../graph';

interface ErrorRow {
  readonly code: GatewayErrorCode;
  readonly message: string;
}

/**
 * The one table from Graph's HTTP status to the gateway's code. Map by the status, never by Graph's `code` (Intune's
 * can disagree with the status, e.g. `InternalError` on a 400) nor its message. https://learn.microsoft.com/graph/errors
 */
const STATUS_TABLE: ReadonlyMap<number, ErrorRow> = new Map([
  [400, row('BAD_USER_INPUT', 'Microsoft Graph rejected the request as invalid.')],
  [401, row('UNAUTHENTICATED', 'Microsoft Graph did not accept the bearer token.')],
  [403, row('FORBIDDEN', 'The bearer token is not allowed to do this in Microsoft Graph.')],
  [404, row('NOT_FOUND', 'Microsoft Graph has no such user status.')],
  [409, row('CONFLICT', 'Microsoft Graph reported a conflict with the current state.')],
  [412, row('CONFLICT', 'Microsoft Graph reported that a precondition failed.')],
  [429, row('THROTTLED', 'Microsoft Graph is throttling these requests; retry later.')],
]);

const OTHER_STATUS = row('UPSTREAM_ERROR', 'Microsoft Graph could not complete the request.');

function row(code: keyof typeof GatewayErrorCode, message: string): ErrorRow {
  return { code: GatewayErrorCode[code], message };
}

export function errorRowFor(status: number): ErrorRow {
  return STATUS_TABLE.get(status) ?? OTHER_STATUS;
}

const KIND_CODES: Readonly<Record<GraphError['kind'], GatewayErrorCode>> = {
  status: GatewayErrorCode.UPSTREAM_ERROR,
  timeout: GatewayErrorCode.UPSTREAM_TIMEOUT,
  connection: GatewayErrorCode.UPSTREAM_UNAVAILABLE,
  malformed: GatewayErrorCode.UPSTREAM_ERROR,
  cancelled: GatewayErrorCode.UPSTREAM_UNAVAILABLE,
  unauthenticated: GatewayErrorCode.UNAUTHENTICATED,
  quota: GatewayErrorCode.THROTTLED,
  unread: GatewayErrorCode.READ_BACK_FAILED,
};

/** What the client sees of Graph's answer: never Graph's raw body or headers; Intune's support ids when present. */
export function graphDetails(error: GraphError): GraphErrorDetails {
  return {
    status: error.status,
    code: error.code,
    message: error.graphMessage,
    requestId: error.requestId,
    clientRequestId: error.clientRequestId,
    date: error.date,
    ...(error.activityId ? { activityId: error.activityId } : {}),
    ...(error.operationId ? { operationId: error.operationId } : {}),
  };
}

/**
 * The seed page lists `/{id}/rootCertificate/userStatuses`, but Graph's metadata declares `rootCertificate` only on
 * the iOS and macOS SCEP profile types, so real Graph may refuse the uncast path with 400 "Resource not found for
 * the segment". Say which variants to use instead.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-iosscepcertificateprofile?view=graph-rest-beta
 */
function rootCertificateHint(error: GraphError, variant: PathVariant | undefined): string {
  if (variant !== 'ROOT_CERTIFICATE' || error.status !== 400) return '';
  if (!/segment/i.test(error.graphMessage ?? '')) return '';
  return ' Graph does not resolve rootCertificate on a plain deviceConfiguration: use path IOS_SCEP_ROOT_CERTIFICATE or MACOS_SCEP_ROOT_CERTIFICATE.';
}

export interface UpstreamErrorContext {
  /** The path variant the call used, for variant-specific advice. */
  readonly variant?: PathVariant;
}

/** Turns whatever the Graph layer threw into the client-facing error, once. Unknown errors pass (and are masked). */
export function toGatewayError(error: unknown, context: UpstreamErrorContext = {}): unknown {
  if (isGatewayError(error)) return error;
  if (isGraphInputError(error))
    return new GatewayError(GatewayErrorCode.BAD_USER_INPUT, error.message, {
      ...(error.argument ? { extensions: { argument: error.argument } } : {}),
    });
  if (!isGraphError(error)) return error;
  const retry =
    error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {};
  if (error.kind === 'status' && error.status !== null) {
    const { code, message } = errorRowFor(error.status);
    return new GatewayError(code, `${message}${rootCertificateHint(error, context.variant)}`, {
      graph: graphDetails(error),
      ...retry,
    });
  }
  if (error.kind === 'unread') return readBackFailed(error, context);
  const hasDetails = error.status !== null || error.requestId !== null;
  return new GatewayError(KIND_CODES[error.kind], error.message, {
    ...(hasDetails ? { graph: graphDetails(error) } : {}),
    ...retry,
  });
}

/**
 * An update applied, its read-back failed: READ_BACK_FAILED with the write's Graph details (204, its request ids)
 * and no `retryAfterSeconds` (nothing to send again); `extensions.readBack` is the read's own error, as it would
 * have been answered alone.
 */
function readBackFailed(error: GraphError, context: UpstreamErrorContext): GatewayError {
  const read = error.cause instanceof Error ? toGatewayError(error.cause, context) : undefined;
  const readBack = isGatewayError(read)
    ? {
        code: read.code,
        message: read.message,
        ...pick(read.extensions, ['retryAfterSeconds', 'graph']),
      }
    : undefined;
  // The read's words as the client would have had them alone (the status table's), not the Graph layer's own.
  const why = isGatewayError(read) ? read.message : 'it failed.';
  const answered =
    error.status === 204 ? '204 No Content' : `${error.status} without the user status`;
  const message = `The update was applied (Microsoft Graph answered ${answered}), but reading the user status back failed: ${why} Do not send the update again; read the user status later.`;
  return new GatewayError(GatewayErrorCode.READ_BACK_FAILED, message, {
    graph: graphDetails(error),
    ...(readBack ? { extensions: { readBack } } : {}),
  });
}

function pick(from: Readonly<Record<string, unknown>>, names: readonly string[]) {
  return Object.fromEntries(
    names.filter((name) => from[name] !== undefined).map((name) => [name, from[name]]),
  );
}

/** Runs a Graph-layer call and maps its failure; the one place resolvers turn upstream errors into GraphQL ones. */
export async function upstream<T>(
  call: () => Promise<T>,
  context?: UpstreamErrorContext,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toGatewayError(error, context);
  }
}
