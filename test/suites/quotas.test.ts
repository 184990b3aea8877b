import { describeSpecs } from '../helpers/suite';

// Intune's quotas: pacing in-process and through a real Redis, and the emulator enforcing the same limits.
describeSpecs('integration', [
  'emulator-quotas',
  'emulator-throttling',
  'quota-bulk',
  'quota-pacing',
  'quota-redis',
  'quota-redis-fallback',
  'quota-redis-late',
  'quota-redis-memory',
  'quota-redis-share',
]);
