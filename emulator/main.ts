import { DEMO_TOKEN } from './auth';
import { emulatorOptionsFromEnv } from './options';
import { startEmulator } from './server';
import type { EmulatorOptions } from './server';

/** `npm run emulator`: the Graph emulator alone, set from its environment and flags (docs/emulator.md). */
async function main(): Promise<void> {
  let options: EmulatorOptions;
  try {
    options = emulatorOptionsFromEnv(process.env, process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const emulator = await startEmulator(options);
  for (const rule of options.faults ?? []) process.stdout.write(`fault: ${JSON.stringify(rule)}\n`);
  const { mode } = emulator.settings;
  const { enabled, windowMs, appWrites, appCalls, tenantWrites, tenantCalls } = emulator.quotas;
  const quotas = enabled
    ? `per ${windowMs} ms, ${appWrites} writes and ${appCalls} calls per app per tenant, ${tenantWrites} writes and ${tenantCalls} calls per tenant`
    : 'off';
  process.stdout.write(
    [
      `Graph emulator listening: GRAPH_BASE_URL=${emulator.baseUrl}`,
      `Mode: ${mode}; quotas: ${quotas}; admin API: ${emulator.adminUrl}`,
      `Demo token (full access): ${DEMO_TOKEN}`,
      '',
    ].join('\n'),
  );
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
