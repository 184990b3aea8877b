// `npm run test:spec -- <name>`: the specs of test/unit and test/integration, one jest file each (no runners), for
// working on one of them. `npm test` runs the same specs through test/suites.
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/{unit,integration}/*.spec.ts'],
  // The runners' fixed order (test/sequencer.js) means nothing here: jest's own order, by earlier timings.
  testSequencer: undefined,
};
