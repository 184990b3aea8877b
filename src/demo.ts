import { loadConfig } from './config';
import { DEMO_TOKEN } from './emulator/auth';
import { startEmulator } from './emulator/server';
import { configurationId, userStatusId } from './emulator/store';
import { createLogger } from './logging';
import { createGatewayServer } from './server';

/** `npm run demo`: the emulator and the gateway wired to it, with a ready-to-paste example. */
async function main(): Promise<void> {
  const emulator = await startEmulator({ port: Number(process.env.EMULATOR_PORT ?? 4010) });
  const config = loadConfig({
    ...process.env,
    GRAPH_BASE_URL: emulator.baseUrl,
    HOST: process.env.HOST ?? '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const app = await createGatewayServer(config, {
    logger: createLogger(config.logLevel),
    explorer: { headers: { Authorization: `Bearer ${DEMO_TOKEN}` } },
  });
  const address = await app.listen({ port: config.port, host: config.host });
  const query = `mutation Update($input: UpdateDeviceConfigurationUserStatusInput!) { updateDeviceConfigurationUserStatus(input: $input) { userStatus { id status lastReportedDateTime userDisplayName } requestId clientRequestId } }`;
  const variables = {
    input: {
      deviceConfigurationId: configurationId('windows10-general'),
      userStatusId: userStatusId('windows10-general', 0),
      status: 'NOT_APPLICABLE',
      lastReportedDateTime: '2017-01-01T00:00:17.7769392-08:00',
    },
  };
  const body = JSON.stringify({ query, variables });
  process.stdout.write(
    [
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
      '  Ctrl+C stops both.',
      '',
    ].join('\n'),
  );
  const stop = () => {
    void Promise.allSettled([app.close(), emulator.close()]).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Demo failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
