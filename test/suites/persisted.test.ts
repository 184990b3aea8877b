import { describeSpecs } from '../helpers/suite';

// Persisted operations: automatic persisted queries, in-process and through a real Redis shared by two gateway
// processes, with the real clients (Apollo Client, urql); trusted documents and the allowlist in-process (the
// allowlist's own process runs with the other processes, in processes.test.ts).
describeSpecs('integration', [
  'persisted-apq',
  'persisted-apq-cache',
  'persisted-apq-redis-logs',
  'persisted-apq-redis-room',
  'persisted-replicas',
  'persisted-trusted',
]);
