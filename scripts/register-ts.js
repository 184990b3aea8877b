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
const {
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const DIR = path.join(tmpdir(), `igg-ts-cache-${process.getuid?.() ?? 'user'}`);
// The compiler's identity without loading it: esbuild's version (its package.json) and compile-ts.js itself.
const COMPILER = createHash('sha1')
  .update(readFileSync(require.resolve('esbuild/package.json')))
  .update(readFileSync(require.resolve('./compile-ts')))
  .digest('hex');

const sha1 = (...parts) => {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
};

// An entry is named `<file's path>-<compiler and content>` (each a SHA-1): a file compiled anew replaces every
// earlier entry of its path, so the cache holds one entry per file, not one per edit of it forever. Names without
// the `-` are from before this scheme and go at the first new entry.
function compiled(source, filename) {
  const place = sha1(filename).slice(0, 20);
  const name = `${place}-${sha1(COMPILER, source)}`;
  const file = path.join(DIR, name);
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
    for (const entry of readdirSync(DIR))
      if ((entry.startsWith(`${place}-`) && entry !== name) || /^[0-9a-f]{40}$/.test(entry))
        rmSync(path.join(DIR, entry), { force: true });
  } catch {
    // a cache that cannot be written (or pruned) is only slower
  }
  return code;
}

require.extensions['.ts'] = function loadTypeScript(module, filename) {
  module._compile(compiled(readFileSync(filename, 'utf8'), filename), filename);
};
