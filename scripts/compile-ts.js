// One way to compile this project's TypeScript for Node outside the build: jest (scripts/jest-transform.js) and
// child processes run from source (scripts/register-ts.js). Types are dropped file by file, never checked: that is
// `npm run typecheck` (tsc --noEmit), which CI runs. tsconfig.json has `isolatedModules`, so tsc refuses what a
// file-by-file compiler could get wrong.
const { transformSync, version } = require('esbuild');

// `import()` becomes `require()`, as tsc's CommonJS output (the build) does: jest's module registry and the
// project's own .ts files are reachable only through `require`.
const OPTIONS = {
  loader: 'ts',
  format: 'cjs',
  target: 'node20',
  supported: { 'dynamic-import': false },
};

/** `{ code, map }` for one .ts file; the code ends with a link to the map only when `inlineMap` is set. */
function compileTypeScript(source, filename, { inlineMap = false } = {}) {
  const options = {
    ...OPTIONS,
    sourcefile: filename,
    sourcemap: inlineMap ? 'inline' : 'external',
  };
  const { code, map } = transformSync(source, options);
  return { code, map: inlineMap ? null : map };
}

/** Changes whenever the compiled output could: the compiler's version and options. */
const COMPILER_KEY = JSON.stringify({ esbuild: version, OPTIONS });

module.exports = { COMPILER_KEY, compileTypeScript };
