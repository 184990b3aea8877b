// `npm run test:spec -- <name>`: the specs of test/unit and test/integration, one jest file each (no runners), for
// working on one of them. `npm test` runs the same specs through test/suites.
/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.config.js'),
  testMatch: ['<rootDir>/test/{unit,integration}/*.spec.ts'],
};
