import { describeSpecs } from '../helpers/suite';

// Real processes from their entry points: signals, start-up refusals, the demo, the emulator's command line.
describeSpecs('integration', [
  'demo',
  'dev-watch',
  'emulator-cli',
  'exit-with-parent',
  'lifecycle',
  'startup-config',
]);
