import { DEMO_TOKEN } from './auth';
import { parseFaultSpec } from './faults';
import type { FaultRule } from './faults';
import { startEmulator } from './server';

/** `npm run emulator`: the Graph emulator alone, on EMULATOR_PORT (default 4010). */
async function main(): Promise<void> {
  const raw = process.env.EMULATOR_PORT ?? '4010';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    process.stderr.write(`EMULATOR_PORT must be a port number, got "${raw}"\n`);
    process.exit(2);
  }
  let faults: FaultRule[] = [];
  const flag = process.argv.indexOf('--faults');
  try {
    faults = flag >= 0 ? parseFaultSpec(process.argv[flag + 1] ?? '') : [];
  } catch (error) {
    process.stderr.write(`--faults: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const emulator = await startEmulator({
    port,
    host: process.env.EMULATOR_HOST ?? '127.0.0.1',
    faults,
  });
  for (const rule of faults) process.stdout.write(`fault: ${JSON.stringify(rule)}\n`);
  process.stdout.write(
    `Graph emulator listening: GRAPH_BASE_URL=${emulator.baseUrl}\nDemo token (full access): ${DEMO_TOKEN}\n`,
  );
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
