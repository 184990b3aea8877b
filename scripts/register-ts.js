// Runs this project's TypeScript from source in a child process: `node --require ./scripts/register-ts.js x.ts`.
//
// Why not tsx (which `npm run dev` and the bench scripts use): tsx scans every JavaScript file a process loads for
// ESM syntax, Apollo's, Fastify's and undici's included, and that scan is a third of a gateway's start-up CPU.
// The tests start about ten gateways, demos and emulators from source; this hook compiles only the project's own
// .ts files.
//
// The compiled output is kept on disk, keyed by the compiler (its version and options), the file's path and its
// content: a process whose files were all compiled before loads neither esbuild nor its service process (a tenth
// of a from-source start's CPU).
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const DIR = path.join(tmpdir(), `igg-ts-cache-${process.getuid?.() ?? 'user'}`);
// The compiler's identity without loading it: esbuild's version (its package.json) and compile-ts.js itself.
const COMPILER = createHash('sha1')
  .update(readFileSync(require.resolve('esbuild/package.json')))
  .update(readFileSync(require.resolve('./compile-ts')))
  .digest('hex');

function compiled(source, filename) {
  const file = path.join(
    DIR,
    createHash('sha1')
      .update(COMPILER)
      .update('\0')
      .update(filename)
      .update('\0')
      .update(source)
      .digest('hex'),
  );
  try {
    return readFileSync(file, 'utf8');
  } catch {
    // not compiled yet
  }
  const { compileTypeScript } = require('./compile-ts');
  const { code } = compileTypeScript(source, filename, { inlineMap: true });
  try {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(`${file}.${process.pid}`, code);
    renameSync(`${file}.${process.pid}`, file);
  } catch {
    // a cache that cannot be written is only slower
  }
  return code;
}

require.extensions['.ts'] = function loadTypeScript(module, filename) {
  module._compile(compiled(readFileSync(filename, 'utf8'), filename), filename);
};
