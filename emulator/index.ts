/**
 * The Graph emulator's public surface: what the demo, the benches and the tests use. Production code never
 * imports this; `main.ts` is its own command-line entry.
 */
export { startEmulator, EMULATOR_VERSION_ROOT } from './server';
export type { Emulator, EmulatorOptions, RecordedRequest } from './server';
export { emulatorOptionsFromEnv } from './options';
export type { EmulatorEnv } from './options';
export { ADMIN_ROOT } from './admin';
export type { EmulatorConfigurePatch } from './admin';
export { MODE_PRESETS } from './settings';
export type { EmulatorMode, EmulatorSettings, EmulatorSettingsPatch } from './settings';
export { INTUNE_QUOTAS } from './quota';
export type { CallKind, CallerIdentity, QuotaLimitName, QuotaSettings } from './quota';
export { maxInWindow, overLimit } from './call-log';
export type { CallFilter, OverLimit, OverLimitQuery, QuotaCall, WindowQuery } from './call-log';
export { DEMO_TOKEN, OPAQUE_CALLER, createEmulatorToken } from './auth';
export { parseFaultSpec } from './faults';
export type { FaultRule } from './faults';
export { SEEDED_PATH_TARGETS, configurationId, stableGuid, userStatusId } from './store';
