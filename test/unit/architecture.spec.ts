import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Audits of the layering ARCHITECTURE.md describes, read from the source: one folder per layer, imports that point
 * down only, one door into the Graph layer, one module owning HTTP, no import cycles, and no emulator in src/.
 */
const ROOT = path.join(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');

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

/** The file a relative import names, wherever it is (inside src/ or not); undefined for packages. */
function resolveLocal(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')])
    if (existsSync(candidate)) return candidate;
  return base;
}

const files = sourceFiles(SRC);
const relative = (file: string) => path.relative(SRC, file).split(path.sep).join('/');
/** The layer a file of src/ belongs to: its first folder, or 'root'. */
const layerOf = (file: string) => {
  const parts = relative(file).split('/');
  return parts.length === 1 ? 'root' : parts[0]!;
};
const localImports = (file: string) =>
  importsOf(file).flatMap((spec) => {
    const local = resolveLocal(file, spec);
    return local ? [{ spec, local }] : [];
  });

/**
 * Which layers each layer may import (besides itself). The root (entry, composition root, config, version) may
 * import every layer; no layer imports the composition root. `version` and `config` are read by all.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  graph: [],
  observability: ['graph', 'graphql', 'root:version', 'root:config'],
  graphql: ['graph', 'observability', 'generated', 'root:version', 'root:config'],
  server: ['graph', 'graphql', 'observability', 'generated', 'root:version', 'root:config'],
  generated: ['graph', 'graphql'],
};

describe('architecture', () => {
  it('src/ root holds at most 6 files, and no folder of src/ more than 15', () => {
    const counts = new Map<string, number>();
    for (const file of files) {
      const folder = path.dirname(relative(file));
      counts.set(folder, (counts.get(folder) ?? 0) + 1);
    }
    expect(counts.get('.')).toBeLessThanOrEqual(6);
    const crowded = [...counts].filter(([folder, count]) => folder !== '.' && count > 15);
    expect(crowded).toEqual([]);
  });

  it('every folder of src/ is named in ARCHITECTURE.md', () => {
    const text = readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
    const folders = [...new Set(files.map((file) => path.dirname(relative(file))))].filter(
      (folder) => folder !== '.',
    );
    expect(folders.filter((folder) => !text.includes(`${folder}/`))).toEqual([]);
  });

  it.each(files.filter((file) => layerOf(file) !== 'root').map(relative))(
    'src/%s imports only the layers below it',
    (name) => {
      const file = path.join(SRC, name);
      const layer = layerOf(file);
      for (const { spec, local } of localImports(file)) {
        const target = layerOf(local);
        if (target === layer) continue;
        const allowed = MAY_IMPORT[layer] ?? [];
        const key = target === 'root' ? `root:${path.basename(local, '.ts')}` : target;
        expect(`${spec} (${key})`).toBe(allowed.includes(key) ? `${spec} (${key})` : 'allowed');
      }
    },
  );

  it.each(files.filter((file) => layerOf(file) === 'graph').map(relative))(
    'src/%s imports nothing of graphql, Apollo or the server',
    (name) => {
      for (const specifier of importsOf(path.join(SRC, name)))
        expect(specifier).not.toMatch(/^(graphql|@apollo\/|@as-integrations\/|fastify)/);
    },
  );

  it('nothing outside src/graph/ imports past src/graph/index.ts', () => {
    const door = path.join(SRC, 'graph', 'index.ts');
    const past = files
      .filter((file) => layerOf(file) !== 'graph')
      .flatMap((file) =>
        localImports(file)
          .filter(({ local }) => layerOf(local) === 'graph' && local !== door)
          .map(({ spec }) => `${relative(file)} → ${spec}`),
      );
    expect(past).toEqual([]);
  });

  // The HTTP module is src/graph/http/: the pools and proxies (routes) and one attempt (exchange), which use
  // undici, and axios's front (transport). axios is the module's front, so transport.ts alone calls it.
  it.each([
    [
      'axios or undici',
      /^(axios|undici)$/,
      ['graph/http/exchange.ts', 'graph/http/routes.ts', 'graph/http/transport.ts'],
    ],
    ['axios', /^axios$/, ['graph/http/transport.ts']],
  ])('only the HTTP module imports %s', (_name, library, expected) => {
    const owners = files.filter((file) => importsOf(file).some((spec) => library.test(spec)));
    expect(owners.map(relative).sort()).toEqual(expected);
  });

  // Issue 26: every Redis user (the quota windows, persisted queries) connects through src/redis/connection.ts,
  // with the same settings and the same no-queue, bounded-command options. Others may name ioredis's types only.
  it('only the Redis connection factory loads ioredis; other files import its types alone', () => {
    const loaders = files.filter((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .some(
          (line) =>
            /require\(\s*'ioredis'\s*\)/.test(line) ||
            (/^import\s(?!type\s)[^'"]*from\s+'ioredis'/.test(line) &&
              !/^import\s+\{\s*type\s/.test(line)),
        ),
    );
    expect(loaders.map(relative)).toEqual(['redis/connection.ts']);
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
      files.map((file) => [file, localImports(file).map(({ local }) => local)]),
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

  // The emulator and the demo live in emulator/, outside src/: the build (tsconfig.build.json, rootDir src)
  // cannot compile an import of them, and this says so before the build does.
  it('no emulator code under src/, and nothing in src/ imports from outside it', () => {
    expect(files.map(relative).filter((name) => /emulator|demo/.test(name))).toEqual([]);
    const outside = files.flatMap((file) =>
      localImports(file)
        .filter(({ local }) => !local.startsWith(SRC + path.sep))
        .filter(({ local }) => !local.endsWith(`${path.sep}package.json`))
        .map(({ spec }) => `${relative(file)} → ${spec}`),
    );
    expect(outside).toEqual([]);
  });
});
