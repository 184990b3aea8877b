import { describeSpecs } from '../helpers/suite';

// The Redis connection's life: start-up while Redis does not answer, TLS and client certificates rotated, stream
// errors, the eviction policy read on each answer. Real redis-servers and gateways that wait out seconds: a runner
// of its own, beside the quota pacing one (together they took 68 s, longer than any other runner).
describeSpecs('integration', [
  'redis-client-certificates',
  'redis-eviction',
  'redis-startup',
  'redis-stream-errors',
  'redis-tls-outage',
]);
