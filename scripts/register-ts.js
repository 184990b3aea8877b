// Runs this project's TypeScript from source in a child process: `node --require ./scripts/register-ts.js x.ts`.
//
// Why not tsx (which `npm run dev` and the bench scripts use): tsx scans every JavaScript file a process loads for
// ESM syntax, Apollo's, Fastify's and undici's included, and that scan is a third of a gateway's start-up CPU.
// The tests start about ten gateways, demos and emulators from source; this hook compiles only the project's own
// .ts files.
const { readFileSync } = require('node:fs');
const { compileTypeScript } = require('./compile-ts');

require.extensions['.ts'] = function loadTypeScript(module, filename) {
  const { code } = compileTypeScript(readFileSync(filename, 'utf8'), filename, { inlineMap: true });
  module._compile(code, filename);
};
