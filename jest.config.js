/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Browser tests need Chromium (`npm run test:browser`); the bench smoke run takes 10 s (`npm run test:bench`): CI runs both.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/', '<rootDir>/test/bench/'],
  transform: {
    '^.+\\.ts$': 'ts-jest',
  },
  // Integration tests start real servers; each file gets its own ports, so files run in parallel. Most of their
  // time is spent waiting on sockets, not CPU: four workers on two cores finish sooner than jest's default of one.
  maxWorkers: 4,
  testTimeout: 20000,
  setupFilesAfterEnv: ['<rootDir>/test/helpers/setup.ts'],
};
