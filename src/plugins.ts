import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from './context';
import type { GatewayMetrics } from './metrics';

/**
 * Per operation: fills the request summary (operation name, error codes) for the request's log line, counts the
 * operation in the metrics and names its span. Runs after the response is built, off the resolvers' path.
 */
export function createObservabilityPlugin(
  metrics: GatewayMetrics,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ contextValue, operationName, operation, response }) {
          const errors =
            response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = errors.map((error) =>
            String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'),
          );
          const type = operation?.operation ?? null;
          contextValue.summary.operationName = operationName ?? null;
          contextValue.summary.errorCodes = [...new Set(codes)];
          metrics.observeOperation({
            operationName: operationName ?? null,
            operationType: type,
            outcome: codes[0] ?? 'ok',
            durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
          });
          contextValue.span?.setAttributes({
            'graphql.operation.name': operationName ?? '',
            'graphql.operation.type': type ?? '',
            'graphql.error_codes': codes.join(','),
          });
          contextValue.span?.updateName(
            `graphql ${type ?? 'request'}${operationName ? ` ${operationName}` : ''}`,
          );
        },
      };
    },
  };
}
