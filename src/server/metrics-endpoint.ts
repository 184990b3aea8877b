import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../observability/metrics';

export interface MetricsEndpointOptions {
  /** METRICS_PORT: serve `/metrics` there and not on the gateway's port; null serves it on the gateway's port. */
  readonly port: number | null;
  readonly host: string;
}

// Prometheus scrapes in well under a second; nothing legitimate needs longer to send a GET.
const METRICS_REQUEST_TIMEOUT_MS = 10_000;

/**
 * `GET /metrics` in Prometheus text format: on the gateway's own port, or on METRICS_PORT so that it need not be
 * public (a Service or NetworkPolicy then exposes only the gateway's port). The separate listener opens and closes
 * with the gateway.
 */
export function registerMetricsEndpoint(
  app: FastifyInstance,
  metrics: GatewayMetrics,
  options: MetricsEndpointOptions,
): void {
  if (options.port === null) {
    app.get('/metrics', async (_request, reply) =>
      reply
        .header('content-type', metrics.registry.contentType)
        .send(await metrics.registry.metrics()),
    );
    return;
  }
  const server = createMetricsServer(metrics);
  const { port, host } = options;
  app.addHook('onReady', async () => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const { address } = server.address() as AddressInfo;
    app.log.info({ address, port }, 'metrics listening');
  });
  app.addHook('onClose', async () => {
    if (!server.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}

function createMetricsServer(metrics: GatewayMetrics): http.Server {
  return http.createServer(
    { requestTimeout: METRICS_REQUEST_TIMEOUT_MS, headersTimeout: METRICS_REQUEST_TIMEOUT_MS },
    (request, response) => {
      const path = request.url?.split('?')[0];
      if (request.method !== 'GET' || path !== '/metrics') {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'Only GET /metrics is served on this port.' }));
        return;
      }
      metrics.registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': metrics.registry.contentType });
          response.end(text);
        },
        () => {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: 'The metrics could not be collected.' }));
        },
      );
    },
  );
}
