import { ConfigError, loadConfig } from './config';
import { createLogger } from './logging';
import { createGatewayServer } from './server';

/** The process entry point: the only place that reads the environment, listens and handles signals. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  // A rejection nobody handled is a bug: log it (soak runs count these lines) and keep serving the others.
  process.on('unhandledRejection', (reason) =>
    logger.error({ err: reason }, 'unhandled rejection'),
  );
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
  const app = await createGatewayServer(config, { logger });
  const address = await app.listen({ port: config.port, host: config.host });
  logger.info({ address, graphBaseUrl: config.graphBaseUrl }, 'gateway listening');

  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
