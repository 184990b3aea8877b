import path from 'node:path';

const TEST_ROOT = path.join(__dirname, '..');

/**
 * Runs each spec file (`test/<folder>/<name>.spec.ts`) inside its own `describe` block of one jest test file.
 *
 * Why: jest gives every test file a fresh module registry, so each file compiled and evaluated Apollo, Fastify,
 * graphql-js, undici and the emulator again (about half a second of CPU per file, 70 files). A few runner files
 * pay that once each. Requiring a spec inside `describe` keeps its top-level hooks (`beforeAll`, `afterEach`,
 * fake timers) scoped to its own tests, as when it was a file of its own. Specs still run alone:
 * `npm run test:spec -- <name>`.
 */
export function describeSpecs(folder: 'unit' | 'integration', names: readonly string[]): void {
  for (const name of names)
    describe(`${folder}/${name}`, () => {
      // A computed path on purpose: the list above is the runner's whole content (audited in suites.spec.ts).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(path.join(TEST_ROOT, folder, `${name}.spec`));
    });
}
