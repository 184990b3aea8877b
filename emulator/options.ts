import { parseFaultSpec } from './faults';
import { parseQuotaPatch } from './quota';
import type { QuotaSettings } from './quota';
import { parseSettingsPatch } from './settings';
import type { EmulatorSettingsPatch } from './settings';
import type { EmulatorOptions } from './state';

export type EmulatorEnv = Readonly<Record<string, string | undefined>>;

const QUOTA_VARIABLES: ReadonlyArray<readonly [string, keyof QuotaSettings]> = [
  ['EMULATOR_QUOTA_WINDOW_MS', 'windowMs'],
  ['EMULATOR_QUOTA_APP_WRITES', 'appWrites'],
  ['EMULATOR_QUOTA_TENANT_WRITES', 'tenantWrites'],
  ['EMULATOR_QUOTA_APP_CALLS', 'appCalls'],
  ['EMULATOR_QUOTA_TENANT_CALLS', 'tenantCalls'],
];

/** `--name value` from the command line, else the environment variable. */
function setting(env: EmulatorEnv, argv: readonly string[], flag: string, variable: string) {
  const at = argv.indexOf(flag);
  return at >= 0 ? (argv[at + 1] ?? '') : env[variable];
}

function wholeNumber(variable: string, raw: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max)
    throw new Error(`${variable} must be a whole number from 1 to ${max}, got "${raw}"`);
  return value;
}

function quotasFrom(env: EmulatorEnv): Partial<QuotaSettings> {
  const switch_ = env.EMULATOR_QUOTAS ?? 'intune';
  if (switch_ !== 'intune' && switch_ !== 'off')
    throw new Error(`EMULATOR_QUOTAS must be "intune" or "off", got "${switch_}"`);
  const quotas: Record<string, unknown> = { enabled: switch_ === 'intune' };
  for (const [variable, key] of QUOTA_VARIABLES) {
    const raw = env[variable];
    if (raw !== undefined && raw !== '') quotas[key] = wholeNumber(variable, raw);
  }
  return parseQuotaPatch(quotas);
}

function settingsFrom(env: EmulatorEnv, argv: readonly string[]): EmulatorSettingsPatch {
  const patch: Record<string, unknown> = {};
  const mode = setting(env, argv, '--mode', 'EMULATOR_MODE');
  if (mode) patch.mode = mode;
  if (env.EMULATOR_PAGE_SIZE)
    patch.pageSize = wholeNumber('EMULATOR_PAGE_SIZE', env.EMULATOR_PAGE_SIZE, 999);
  if (env.EMULATOR_FILTER) patch.filter = env.EMULATOR_FILTER;
  const missing = env.EMULATOR_RETRY_AFTER_MISSING;
  // A number when it reads as one; else the text itself, so that the error quotes it.
  if (missing) patch.retryAfterMissing = /^\d*\.?\d+$/.test(missing) ? Number(missing) : missing;
  try {
    return parseSettingsPatch(patch);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`emulator settings: ${message}`);
  }
}

/**
 * The emulator's options from its environment and command line (`npm run emulator`, the demo): EMULATOR_PORT,
 * EMULATOR_HOST, EMULATOR_MODE or `--mode`, EMULATOR_PAGE_SIZE, EMULATOR_FILTER, EMULATOR_RETRY_AFTER_MISSING,
 * EMULATOR_QUOTAS and EMULATOR_QUOTA_*, `--faults`. Throws with a clear message on a bad value. See docs/emulator.md.
 */
export function emulatorOptionsFromEnv(
  env: EmulatorEnv,
  argv: readonly string[] = [],
): EmulatorOptions {
  const rawPort = env.EMULATOR_PORT ?? '4010';
  if (!/^\d{1,5}$/.test(rawPort) || Number(rawPort) > 65535)
    throw new Error(`EMULATOR_PORT must be a port number, got "${rawPort}"`);
  const spec = setting(env, argv, '--faults', 'EMULATOR_FAULTS');
  let faults;
  try {
    faults = spec ? parseFaultSpec(spec) : [];
  } catch (error) {
    throw new Error(`--faults: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    port: Number(rawPort),
    host: env.EMULATOR_HOST || '127.0.0.1',
    ...settingsFrom(env, argv),
    quotas: quotasFrom(env),
    faults,
  };
}
