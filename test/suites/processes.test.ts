import { describeSpecs } from '../helpers/suite';

// Real processes from their entry points: signals, start-up refusals, the demo, the emulator's command line, a
// gateway that runs only its trusted documents.
describeSpecs('integration', [
  'compile-cache',
  'demo',
  'dev-watch',
  'drain-waits',
  'emulator-cli',
  'exit-with-parent',
  'lifecycle',
  'persisted-allowlist',
  'startup-config',
]);
