// V8's code cache for the modules a jest worker compiles, kept on disk (loaded by test/environment.js).
//
// Why: jest gives every test file a module registry of its own, compiled in a fresh vm context, and V8 reuses no
// compiled code across contexts: each of the twelve runners compiles Apollo, Fastify, graphql-js, undici, the
// emulator and the specs again (about 2,400 modules for `operations`). Compiling was a tenth of a runner's CPU
// (1.0 of 9.9 s in a profile of `operations`); with cached data V8 deserialises what an earlier compile produced
// (0.3 s). Node 20 has no NODE_COMPILE_CACHE, and it would not reach jest's `vm.compileFunction` anyway.
//
// How: jest-runtime calls `vm.compileFunction` (looked up on the module at each call) for every module; this wraps
// it with the `cachedData` / `produceCachedData` options Node documents for it. The data is what V8 compiles
// eagerly (the module's top level), keyed by Node's version, the file name, the parameters and the whole source
// (V8 itself checks only the source's length): a changed file, transformed again by jest, gets a new entry. A
// rejected entry (other V8 flags) is compiled as if there were none and written again. A call that already asks
// for cached data is left as it is.
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const vm = require('node:vm');

const DIR = path.join(tmpdir(), `igg-jest-v8-cache-${process.getuid?.() ?? 'user'}`);
const compileFunction = vm.compileFunction;

function cachedCompileFunction(code, params = [], options = {}) {
  if (options.cachedData !== undefined || options.produceCachedData)
    return compileFunction.call(this, code, params, options);
  const file = path.join(
    DIR,
    createHash('sha1')
      .update(`${process.version}\0${options.filename}\0${params.join(',')}\0`)
      .update(code)
      .digest('hex'),
  );
  let cachedData;
  try {
    cachedData = readFileSync(file);
  } catch {
    // not cached yet
  }
  if (cachedData !== undefined) {
    const compiled = compileFunction.call(this, code, params, { ...options, cachedData });
    if (!compiled.cachedDataRejected) return compiled;
  }
  const compiled = compileFunction.call(this, code, params, {
    ...options,
    produceCachedData: true,
  });
  if (compiled.cachedDataProduced)
    try {
      mkdirSync(DIR, { recursive: true });
      writeFileSync(`${file}.${process.pid}`, compiled.cachedData);
      renameSync(`${file}.${process.pid}`, file);
    } catch {
      // a cache that cannot be written is only slower
    }
  return compiled;
}

vm.compileFunction = cachedCompileFunction;
