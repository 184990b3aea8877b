import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext, RequestSummary } from './context';
import type { GatewayMetrics } from './metrics';
import { loggableOperationName } from './operation-names';

const REFUSED_TOKEN_CODES: ReadonlySet<string> = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/** Graph answered this operation (it has Graph's request ids) and refused none of it for the token. */
function isServed(summary: RequestSummary, codes: readonly string[]): boolean {
  return summary.graphRequestIds.length > 0 && !codes.some((code) => REFUSED_TOKEN_CODES.has(code));
}

/**
 * Per operation: fills the request summary (operation name, error codes) for the request's log line, counts the
 * operation in the metrics and names its span. Runs after the response is built, off the resolvers' path.
 */
export function createObservabilityPlugin(
  metrics: GatewayMetrics,
): ApolloServerPlugin<GatewayContext> {
  return {
    requestDidStart() {
      const started = process.hrtime.bigint();
      return Promise.resolve({
        willSendResponse({ contextValue, operationName, operation, response }) {
          const errors =
            response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = errors.map((error) => {
            const code = error.extensions?.code;
            return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
          });
          const type = operation?.operation ?? null;
          const name = loggableOperationName(operationName);
          contextValue.summary.operationName = name;
          contextValue.summary.errorCodes = [...new Set(codes)];
          metrics.observeOperation({
            operationName: operationName ?? null,
            operationType: type,
            served: isServed(contextValue.summary, codes),
            outcome: codes[0] ?? 'ok',
            durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
          });
          contextValue.span?.setAttributes({
            'graphql.operation.name': name ?? '',
            'graphql.operation.type': type ?? '',
            'graphql.error_codes': codes.join(','),
          });
          contextValue.span?.updateName(`graphql ${type ?? 'request'}${name ? ` ${name}` : ''}`);
          return Promise.resolve();
        },
      });
    },
  };
}
