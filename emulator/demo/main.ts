import path from 'node:path';
import { loadConfig } from '../../src/config';
import { createPrettyDestination, isAddressInUse, portInUseMessage } from './log';
import { DEMO_TOKEN } from '../auth';
import { emulatorOptionsFromEnv } from '../options';
import { startEmulator } from '../server';
import type { Emulator } from '../server';
import { PATH_EXAMPLES } from '../../src/server/explorer-examples';
import { createLogger } from '../../src/observability/logging';
import { createGatewayServer } from '../../src/gateway';
import { PACKAGE_ROOT } from '../../src/version';

/** The manifest `npm run codegen` writes for the example operations, which the typed client names by id. */
const EXAMPLE_DOCUMENTS = path.join(
  PACKAGE_ROOT,
  'examples',
  'generated',
  'persisted-documents.json',
);

/** A start-up failure the demo explains itself: its message is the whole story. */
class DemoStartError extends Error {}

/** Runs `listen`; a port something else holds becomes the demo's own message, not a stack. */
async function listenOn<T>(
  what: string,
  variable: string,
  port: number,
  listen: () => Promise<T>,
): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    if (isAddressInUse(error)) throw new DemoStartError(portInUseMessage(what, variable, port));
    throw error;
  }
}

/** What the demo prints once both servers listen: where they are, the token, a request to paste. */
function banner(emulator: Emulator, address: string): string {
  const query = `mutation Update($input: UpdateDeviceConfigurationUserStatusInput!) { updateDeviceConfigurationUserStatus(input: $input) { userStatus { id status lastReportedDateTime userDisplayName } requestId clientRequestId } }`;
  const { deviceConfigurationId, userStatusId } = PATH_EXAMPLES.DEVICE_CONFIGURATION;
  const variables = {
    input: {
      deviceConfigurationId,
      userStatusId,
      status: 'NOT_APPLICABLE',
      lastReportedDateTime: '2017-01-01T00:00:17.7769392-08:00',
    },
  };
  const body = JSON.stringify({ query, variables });
  return [
    '',
    `  Graph emulator   ${emulator.baseUrl}`,
    `  GraphQL gateway  ${address}/graphql`,
    `  Explorer         ${address}/  (open it in a browser; the demo token is prefilled)`,
    '',
    `  Demo token (DeviceManagementConfiguration.ReadWrite.All):`,
    `  ${DEMO_TOKEN}`,
    '',
    '  Try it:',
    `  curl -s ${address}/graphql \\`,
    `    -H 'Content-Type: application/json' \\`,
    `    -H 'Authorization: Bearer ${DEMO_TOKEN}' \\`,
    `    --data '${body}'`,
    '',
    '  Ctrl+C stops both. Warnings follow below.',
    '',
  ].join('\n');
}

/** `npm run demo`: the emulator and the gateway wired to it, with a ready-to-paste example. */
async function main(): Promise<void> {
  const options = emulatorOptionsFromEnv(process.env);
  const emulator = await listenOn('the Graph emulator', 'EMULATOR_PORT', options.port ?? 4010, () =>
    startEmulator(options),
  );
  try {
    const config = loadConfig({
      ...process.env,
      GRAPH_BASE_URL: emulator.baseUrl,
      HOST: process.env.HOST ?? '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // The typed client (examples/update-status.ts) sends ids; the explorer still sends documents.
      GRAPHQL_TRUSTED_DOCUMENTS: process.env.GRAPHQL_TRUSTED_DOCUMENTS ?? EXAMPLE_DOCUMENTS,
    });
    // Readable lines, not JSON: the demo's output is read by people (`npm start` keeps JSON lines).
    const logger = createLogger(config.logLevel, createPrettyDestination(process.stdout));
    const app = await createGatewayServer(config, {
      logger,
      explorer: { headers: { Authorization: `Bearer ${DEMO_TOKEN}` } },
    });
    const address = await listenOn('the GraphQL gateway', 'PORT', config.port, () =>
      app.listen({ port: config.port, host: config.host }),
    );
    process.stdout.write(banner(emulator, address));
    stopOnSignals(() => Promise.allSettled([app.close(), emulator.close()]));
  } catch (error) {
    await emulator.close();
    throw error;
  }
}

function stopOnSignals(close: () => Promise<unknown>): void {
  const stop = () => {
    void close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof DemoStartError) process.stderr.write(error.message);
  else
    process.stderr.write(
      `Demo failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  process.exit(1);
});
