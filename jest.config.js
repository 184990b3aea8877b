/** @type {import('jest').Config} */
module.exports = {
  // Node's, with a worker that exits without freeing its heap first (test/environment.js).
  testEnvironment: '<rootDir>/test/environment.js',
  roots: ['<rootDir>/test'],
  // Jest compiles and evaluates every module afresh for each test file: Apollo, Fastify, graphql-js, undici and the
  // emulator cost about half a second of CPU each time. So the specs (test/unit, test/integration) run through a few
  // runner files (test/suites), one `describe` per spec; `npm run test:spec -- <name>` runs specs one file each.
  // Browser tests need Chromium (`npm run test:browser`); the bench smoke run takes 10 s (`npm run test:bench`): CI runs both.
  testMatch: ['<rootDir>/test/suites/*.test.ts'],
  testSequencer: '<rootDir>/test/sequencer.js',
  transform: {
    '^.+\\.ts$': '<rootDir>/scripts/jest-transform.js',
  },
  // Integration tests start real servers on ports of their own, so runners go in parallel. Part of their time is
  // spent waiting on sockets and quota windows, not CPU: more workers than the two cores finish sooner.
  maxWorkers: 4,
  testTimeout: 20000,
  setupFilesAfterEnv: ['<rootDir>/test/helpers/setup.ts'],
};
