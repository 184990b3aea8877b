const { default: Sequencer } = require('@jest/test-sequencer');

/**
 * The runners in a fixed order: those that mostly wait (real Retry-After and backoff smoke tests, quota windows,
 * slow clients) start first, so that their waits overlap the CPU-bound ones instead of ending the run. Jest's own
 * order needs timings of an earlier run, which a fresh checkout (CI) does not have.
 */
const ORDER = [
  // The Redis start-up, TLS outage and client-certificate specs: real redis-servers and gateway processes that wait
  // out certificate rotations and start-up seconds (27 s alone): started last, they ended the run.
  'redis-lifecycle',
  'quotas',
  'upstream',
  'quota-replicas',
  'quota-outages',
  // A cluster, sentinels and TLS Redis with two gateway processes each: mostly waits (failover, windows).
  'redis-topologies',
  'persisted',
  'connections',
  'processes',
  'operations',
  // Three more gateway processes from source: started once a worker frees, not beside the three of quota-replicas.
  'quota-pressure',
  'api',
  'unit',
];

const rank = (test) => {
  const index = ORDER.findIndex((name) => test.path.endsWith(`/${name}.test.ts`));
  return index === -1 ? ORDER.length : index;
};

class RunnerSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
  }
}

module.exports = RunnerSequencer;
