/** The bench smoke run (`npm run test:bench`): the bench scripts must keep working; kept out of `npm test` (30 s). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/bench'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': '<rootDir>/scripts/jest-transform.js' },
  testTimeout: 90000,
};
