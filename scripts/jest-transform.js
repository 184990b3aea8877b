// Jest's transformer for .ts: esbuild, file by file (scripts/compile-ts.js). ts-jest loaded TypeScript in every
// jest worker and compiled each file once per worker on a fresh checkout: 20 of a cold run's 64 CPU-seconds.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { COMPILER_KEY, compileTypeScript } = require('./compile-ts');

const OWN_KEY =
  COMPILER_KEY +
  readFileSync(__filename, 'utf8') +
  readFileSync(require.resolve('./compile-ts'), 'utf8');

module.exports = {
  process(source, filename) {
    return compileTypeScript(source, filename);
  },
  getCacheKey(source, filename) {
    return createHash('sha256')
      .update(OWN_KEY)
      .update('\0')
      .update(filename)
      .update('\0')
      .update(source)
      .digest('hex');
  },
};
