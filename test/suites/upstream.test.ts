import { describeSpecs } from '../helpers/suite';

// What Graph does to the gateway: Intune's answers, throttling and retries, hostile upstreams, the transport.
describeSpecs('integration', [
  'emulator-batch',
  'emulator-compression',
  'emulator-intune',
  'hostile-upstream',
  'http-compression',
  'http-transport',
  'intune-fidelity',
  'list-filters',
  'resilience',
]);
