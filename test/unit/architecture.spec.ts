import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Audits of the layering ARCHITECTURE.md describes, read from the source: the Graph layer depends on nothing of
 * the server, one module (http.ts and its parts) owns HTTP, there are no import cycles, and production code never reaches the emulator.
 */
const SRC = path.join(__dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORT =
  /(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|require\(\s*'([^']+)'\s*\)/g;

/** Every module a file imports (type-only imports included), as written. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => match[1] ?? match[2] ?? match[3]!);
}

function resolveLocal(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')])
    if (files.includes(candidate)) return candidate;
  return undefined;
}

const files = sourceFiles(SRC);
const relative = (file: string) => path.relative(SRC, file);
const graph = files.filter((file) => relative(file).startsWith(`graph${path.sep}`));

describe('architecture', () => {
  it.each(graph.map(relative))(
    'src/%s imports nothing from the rest of src/, nor graphql or Apollo',
    (name) => {
      const file = path.join(SRC, name);
      for (const specifier of importsOf(file)) {
        const local = resolveLocal(file, specifier);
        if (local) expect(relative(local)).toMatch(/^graph\//);
        expect(specifier).not.toMatch(/^(graphql|@apollo\/|@as-integrations\/|fastify)/);
      }
    },
  );

  // The HTTP module is http.ts and its parts: the pools and proxies (http-routes) and one attempt
  // (http-exchange), which use undici, and the gzip inflater (http-decoding), which uses no HTTP library. axios is
  // the module's front, so http.ts alone calls it.
  it.each([
    [
      'axios or undici',
      /^(axios|undici)$/,
      ['graph/http-exchange.ts', 'graph/http-routes.ts', 'graph/http.ts'],
    ],
    ['axios', /^axios$/, ['graph/http.ts']],
  ])('only the HTTP module imports %s', (_name, library, expected) => {
    const owners = files.filter((file) => importsOf(file).some((spec) => library.test(spec)));
    expect(owners.map(relative).sort()).toEqual(expected);
  });

  it('no import reaches into a package’s dist/', () => {
    const deep = files.flatMap((file) =>
      importsOf(file)
        .filter((spec) => !spec.startsWith('.') && /\/dist\//.test(spec))
        .map((spec) => `${relative(file)} → ${spec}`),
    );
    expect(deep).toEqual([]);
  });

  it('no import cycles in src/', () => {
    const edges = new Map(
      files.map((file) => [
        file,
        importsOf(file).flatMap((spec) => resolveLocal(file, spec) ?? []),
      ]),
    );
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].map(relative).join(' → '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of edges.get(file) ?? []) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('nothing the production entry reaches imports src/emulator/', () => {
    const reached = new Set<string>();
    const walk = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const spec of importsOf(file)) {
        const local = resolveLocal(file, spec);
        if (local) walk(local);
      }
    };
    walk(path.join(SRC, 'index.ts'));
    expect([...reached].map(relative).filter((name) => name.startsWith('emulator'))).toEqual([]);
  });
});
