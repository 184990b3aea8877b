import { describeSpecs } from '../helpers/suite';

// What Graph does to the gateway: Intune's answers, throttling, hostile and slow upstreams, proxies, disconnects.
describeSpecs('integration', [
  'disconnect',
  'emulator-intune',
  'gateway-proxy',
  'hostile-upstream',
  'http-proxy',
  'http-transport',
  'intune-fidelity',
  'resilience',
  'slow-clients',
]);
