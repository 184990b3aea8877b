import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';

const ROOT = path.join(__dirname, '..', '..');
const NAME = '([A-Z][A-Z0-9_]*)';

// The ways src/ reads a variable: `env.X` (also `process.env.X`, `env?.X`, `env['X']`), a helper called with the
// environment and the name (`integer(env, 'X', …)`, `boolean(env, 'X', …)`), and errors that name one.
const READS = [
  new RegExp(`\\benv\\??\\.${NAME}\\b`, 'g'),
  new RegExp(`\\benv\\[\\s*['"]${NAME}['"]\\s*\\]`, 'g'),
  new RegExp(`\\(\\s*env\\s*,\\s*['"]${NAME}['"]`, 'g'),
  new RegExp(`ConfigError\\(\\s*['"]${NAME}['"]`, 'g'),
];

/** Every environment variable a source file reads. */
export function variablesRead(source: string): string[] {
  const names = READS.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]!));
  return [...new Set(names)].sort();
}

/**
 * Whole-number defaults written in the code: `integer(env, 'X', 10_000, 1, …)`. A fallback below the minimum is no
 * default but a placeholder for a variable that is read only when set (METRICS_PORT).
 */
function literalDefaults(source: string): Map<string, number> {
  const number = '([0-9_]+)';
  const pattern = new RegExp(
    `integer\\(\\s*env\\s*,\\s*'${NAME}'\\s*,\\s*${number}\\s*,\\s*${number}\\s*,`,
    'g',
  );
  const value = (text: string) => Number(text.replace(/_/g, ''));
  return new Map(
    [...source.matchAll(pattern)]
      .filter((match) => value(match[2]!) >= value(match[3]!))
      .map((match) => [match[1]!, value(match[2]!)]),
  );
}

/** The rows of the Markdown table: each name in the first column (`A`, `B` rows name several), with its default. */
export function documentedVariables(markdown: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 4 || !cells[1]?.startsWith('`')) continue;
    for (const [, name] of cells[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)) rows.set(name!, cells[2]!);
  }
  return rows;
}

/**
 * src/config.ts, every other production source that reads the environment (the egress proxy rules…), and the demo
 * (emulator/demo/, which documents its ports here). The emulator documents its own settings, in docs/emulator.md.
 */
function codeFiles(): Array<[string, string]> {
  return ['src', path.join('emulator', 'demo')].flatMap((folder) =>
    readdirSync(path.join(ROOT, folder), { recursive: true })
      .map(String)
      .filter((file) => file.endsWith('.ts') && !file.startsWith('generated/'))
      .map((file): [string, string] => [
        `${folder}/${file}`,
        readFileSync(path.join(ROOT, folder, file), 'utf8'),
      ]),
  );
}

function sources(): Array<[string, string]> {
  return codeFiles().filter(
    ([file, source]) => file === 'src/config.ts' || variablesRead(source).length > 0,
  );
}

const table = documentedVariables(
  readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8'),
);

describe('docs/configuration.md: one table of every variable', () => {
  it.each([
    ["const port = integer(env, 'PORT', 4000, 0, 65535);", ['PORT']],
    ["integer(\n  env,\n  'GRAPH_MAX_RESPONSE_BYTES',\n  5 * 1024,", ['GRAPH_MAX_RESPONSE_BYTES']],
    ["boolean(env, 'FEDERATION', false)", ['FEDERATION']],
    ['const raw = env.CORS_ORIGINS?.trim();', ['CORS_ORIGINS']],
    ['process.env.EMULATOR_PORT ?? 4010', ['EMULATOR_PORT']],
    ["env['NO_PROXY'] ?? env?.HTTPS_PROXY", ['HTTPS_PROXY', 'NO_PROXY']],
    ["throw new ConfigError('METRICS_PORT', 'must differ')", ['METRICS_PORT']],
    ['options.environment.X; envelope.BODY; const env = 1', []],
  ])('reads the variables in %j', (source, expected) => {
    expect(variablesRead(source)).toEqual(expected);
  });

  it('reads the rows of a table, several names per row included', () => {
    const markdown = [
      '| variable | default | meaning |',
      '| --- | --- | --- |',
      '| `PORT` | `4000` | port |',
      '| `HTTPS_PROXY`, `HTTP_PROXY` | unset | proxy |',
      'text with `NOT_A_ROW`',
    ].join('\n');
    expect([...documentedVariables(markdown)]).toEqual([
      ['PORT', '`4000`'],
      ['HTTPS_PROXY', 'unset'],
      ['HTTP_PROXY', 'unset'],
    ]);
  });

  it.each(sources())('every variable %s reads is in the table', (_file, source) => {
    const missing = variablesRead(source).filter((name) => !table.has(name));
    expect(missing).toEqual([]);
  });

  it('names no variable the code has stopped reading (every row appears in src/ or the demo)', () => {
    const code = codeFiles()
      .map(([, source]) => source)
      .join('\n');
    expect([...table.keys()].filter((name) => !new RegExp(`\\b${name}\\b`).test(code))).toEqual([]);
  });

  it('src/config.ts reads the variables the table starts with (the parser sees them)', () => {
    const read = variablesRead(readFileSync(path.join(ROOT, 'src', 'config.ts'), 'utf8'));
    for (const name of ['PORT', 'HOST', 'NODE_ENV', 'GRAPH_BASE_URL', 'GRAPH_MAX_RESPONSE_BYTES'])
      expect(read).toContain(name);
  });

  // src/config.ts's readers, also where it hands them to a module of settings (src/graphql/persisted/settings.ts).
  it.each(sources().flatMap(([, source]) => [...literalDefaults(source)]))(
    '%s: the default in the table is the code’s (%i)',
    (name, fallback) => {
      expect(table.get(name)).toMatch(new RegExp(`^\`${fallback}\``));
    },
  );

  it('NODE_ENV: the row lists exactly the values the gateway accepts', () => {
    const markdown = readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8');
    const meaning = markdown
      .split('\n')
      .find((line) => line.startsWith('| `NODE_ENV`'))!
      .split('|')[3]!;
    const listed = meaning
      .split('(')[0]!
      .match(/`([a-z]+)`/g)!
      .map((word) => word.slice(1, -1));
    // The values are the ones the refusal names; each is accepted, in any case.
    const refusal = (() => {
      try {
        loadConfig({ NODE_ENV: 'staging' });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    const accepted = /must be one of ([a-z, ]+), got/.exec(refusal)![1]!.split(', ');
    expect(listed.sort()).toEqual(accepted.sort());
    for (const value of listed)
      expect(() => loadConfig({ NODE_ENV: value.toUpperCase() })).not.toThrow();
  });
});
