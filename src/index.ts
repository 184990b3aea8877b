import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, loadConfig } from './config';
import type { Config } from './config';
import { createLifecycle } from './server/health';
import type { Lifecycle } from './server/health';
import { listenFailure } from './server/listen-failure';
import { createLogger, stackFrames } from './observability/logging';
import type * as ServerModule from './gateway';
import type * as TelemetryModule from './observability/tracing';
import type { Tracing } from './observability/tracing';

/**
 * The process entry point: the only place that reads the environment, listens and handles signals. Everything it
 * prints is a JSON line (pino), start-up failures and shutdown included.
 */
async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  logProcessFailures(logger);
  // Loaded once the configuration holds: a refused start-up (a crash-looping pod) answers without first compiling
  // Apollo, Fastify, graphql-js and undici: 0.2 s of CPU instead of 0.5 s, built, on this project's machine.
  // `require`, not `import()`: run from source (tsx's CommonJS hook), `import()` would resolve without it.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createGatewayServer } = require('./gateway') as typeof ServerModule;
  const { startTracing } = require('./observability/tracing') as typeof TelemetryModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const tracing: Tracing | undefined = config.otlpEndpoint
    ? await startTracing({ endpoint: config.otlpEndpoint })
    : undefined;
  const lifecycle = createLifecycle();
  const app = await createGatewayServer(config, { logger, lifecycle });
  const address = await listen(app, config, logger);
  logger.info(
    { address, graphBaseUrl: config.graphBaseUrl, tracing: Boolean(tracing) },
    'gateway listening',
  );
  const shutdown = createShutdown({ config, logger, lifecycle, app, tracing });
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/** The configuration from the environment; a bad variable is one fatal line naming it, and exit 2. */
function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger('info').fatal(
      { variable: error.variable },
      `Invalid configuration: ${error.message}`,
    );
    process.exit(2);
  }
}

function logProcessFailures(logger: Logger): void {
  // A rejection nobody handled is a bug: log it (soak runs count these lines) and keep serving the others.
  process.on('unhandledRejection', (reason) =>
    logger.error({ err: reason }, 'unhandled rejection'),
  );
  process.on('uncaughtException', (error) => {
    // With where it was thrown: a crash logged as one OpenSSL message (a TLS socket nobody listened to) said nothing
    // of whose socket it was.
    logger.fatal({ err: error, frames: stackFrames(error) }, 'uncaught exception');
    process.exit(1);
  });
}

function listen(app: FastifyInstance, config: Config, logger: Logger): Promise<string> {
  return app.listen({ port: config.port, host: config.host }).catch((error: unknown) => {
    // A port in use (or not ours to take) is the operator's to fix: one line naming the variable, not a stack.
    const failure = listenFailure(error, config);
    if (!failure) throw error;
    logger.fatal({ variable: failure.variable }, failure.message);
    process.exit(1);
  });
}

interface RunningGateway {
  readonly config: Config;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  readonly app: FastifyInstance;
  readonly tracing: Tracing | undefined;
}

/**
 * SIGTERM/SIGINT: readiness goes 503, the listener closes (no new connections), in-flight requests finish,
 * then exit 0; past SHUTDOWN_TIMEOUT_MS the process exits anyway. Calls waiting for their turn to Graph (quota,
 * a tenant's place, a back-off) do not wait on: the drain answers them THROTTLED (gateway.ts, `graph.drain`).
 */
function createShutdown(gateway: RunningGateway): (signal: NodeJS.Signals) => void {
  const { config, logger, lifecycle, app, tracing } = gateway;
  return (signal: NodeJS.Signals) => {
    logger.info({ signal, shutdownTimeoutMs: config.shutdownTimeoutMs }, 'draining');
    lifecycle.beginDrain();
    const forced = setTimeout(() => {
      logger.warn('shutdown timeout reached; exiting with requests still in flight');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    forced.unref();
    Promise.all([app.close(), tracing?.shutdown()]).then(
      () => {
        logger.info('shut down');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
}

main().catch((error: unknown) => {
  createLogger('info').fatal({ err: error }, 'gateway failed to start');
  process.exit(1);
});
