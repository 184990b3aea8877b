import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLError } from 'graphql';
import type { GatewayContext } from '../graphql/context';
import { recordOperation } from './request-summary';
import type { GatewayMetrics } from './metrics';
import { loggableOperationName } from './operation-names';
import { isMaskedError } from '../graphql/errors/gateway-error';
import { serializeError, stackFrames } from './logging';

const REFUSED_TOKEN_CODES: ReadonlySet<string> = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/**
 * Graph has accepted the operation's token (`GraphClient.tokenProven`: a request id alone is not enough, a 5xx or a
 * 429 carries one before Graph reads the token) and refused none of this operation for it.
 */
function isServed(context: GatewayContext, codes: readonly string[]): boolean {
  return context.graph.tokenProven() && !codes.some((code) => REFUSED_TOKEN_CODES.has(code));
}

const NO_CODES: readonly string[] = [];

/** Each error's code (errors without one are Apollo's INTERNAL_SERVER_ERROR), in order. */
function errorCodes(errors: ReadonlyArray<{ readonly extensions?: Record<string, unknown> }>) {
  if (errors.length === 0) return NO_CODES;
  return errors.map((error) => {
    const code = error.extensions?.code;
    return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
  });
}

const DONE = Promise.resolve();

/**
 * The errors the client sees only as `Internal server error` (errors/gateway-error.ts masks them): the operator
 * must still learn of them. Each is logged once with its type, message, code and stack frames (file positions),
 * never the error object: it may hold an upstream response, and with it the caller's token.
 */
function logMaskedErrors(
  log: GatewayContext['log'] | undefined,
  errors: readonly GraphQLError[],
): void {
  for (const error of errors) {
    if (!isMaskedError(error, error.extensions.code)) continue;
    const original = unwrapResolverError(error);
    log?.error(
      {
        err: serializeError(original),
        path: error.path ?? null,
        frames: stackFrames(original),
      },
      'error answered as INTERNAL_SERVER_ERROR',
    );
  }
}

/**
 * Per operation: fills the request summary (operation name, error codes) for the request's log line, counts the
 * operation in the metrics and names its span. Runs after the response is built, off the resolvers' path.
 *
 * One listener serves every request (all it needs comes with the hook's arguments), handed out as one settled
 * promise: a listener, a closure and a promise per request, and a BigInt clock, were a share of the gateway's
 * CPU in the benchmark (BENCHMARKS.md).
 */
export function createObservabilityPlugin(
  metrics: GatewayMetrics,
): ApolloServerPlugin<GatewayContext> {
  const listener: GraphQLRequestListener<GatewayContext> = {
    didEncounterErrors({ contextValue, errors }) {
      logMaskedErrors(contextValue?.log, errors);
      return DONE;
    },
    willSendResponse({ contextValue, operationName, operation, response }) {
      const body = response.body;
      const codes = errorCodes(body.kind === 'single' ? (body.singleResult.errors ?? []) : []);
      const type = operation?.operation ?? null;
      const name = loggableOperationName(operationName);
      const { summary, span } = contextValue;
      recordOperation(summary, name, codes);
      metrics.observeOperation({
        operationName: operationName ?? null,
        operationType: type,
        served: isServed(contextValue, codes),
        outcome: codes[0] ?? 'ok',
        durationSeconds: (performance.now() - contextValue.startedAt) / 1000,
      });
      if (span) {
        span.setAttributes({
          'graphql.operation.name': name ?? '',
          'graphql.operation.type': type ?? '',
          'graphql.error_codes': codes.join(','),
        });
        span.updateName(`graphql ${type ?? 'request'}${name ? ` ${name}` : ''}`);
      }
      return DONE;
    },
  };
  const started = Promise.resolve(listener);
  return { requestDidStart: () => started };
}
