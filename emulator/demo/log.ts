import { Writable } from 'node:stream';

// pino's numeric levels. https://getpino.io/#/docs/api?id=levels
const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

// What every line has, or what says nothing to someone trying the demo.
const OMITTED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId']);

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (value && typeof value === 'object' && 'message' in value) {
    const { type, message } = value as { type?: unknown; message?: unknown };
    const text = (part: unknown) => (typeof part === 'string' ? part : JSON.stringify(part));
    return JSON.stringify(type ? `${text(type)}: ${text(message)}` : text(message));
  }
  return JSON.stringify(value);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !('message' in value);

/** `key=value` pairs; a nested object one level down as `key.field=value`, nulls left out. */
function flatten(key: string, value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (!isPlainObject(value)) return [`${key}=${formatValue(value)}`];
  return Object.entries(value)
    .filter(([, inner]) => inner !== null && inner !== undefined)
    .map(([field, inner]) => `${key}.${field}=${formatValue(inner)}`);
}

/**
 * One pino JSON line as one readable line: `12:00:01 WARN  message  key=value …`. A line that is not pino's JSON is
 * passed through as it is.
 */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.level !== 'number') return line;
  const time =
    typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : '';
  const level = (LEVEL_NAMES[entry.level] ?? String(entry.level)).toUpperCase().padEnd(5);
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED.has(key))
    .flatMap(([key, value]) => flatten(key, value));
  const message = typeof entry.msg === 'string' ? entry.msg : JSON.stringify(entry.msg ?? '');
  return [`${time} ${level} ${message}`.trim(), ...fields].join('  ');
}

/** A pino destination that writes readable lines instead of JSON (the demo's output is for people). */
export function createPrettyDestination(out: { write(text: string): unknown }): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line) out.write(`  ${formatLogLine(line)}\n`);
      done();
    },
  });
}

/** Whether an error is a listen on a port something else holds. */
export function isAddressInUse(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EADDRINUSE';
}

/** What the demo says when one of its ports is taken, with the way out. */
export function portInUseMessage(what: string, variable: string, port: number): string {
  return [
    `Demo failed to start: port ${port} (${what}) is already in use, perhaps by another \`npm run demo\`.`,
    'Pick free ports with PORT (the gateway, default 4000) and EMULATOR_PORT (the emulator, default 4010),',
    `for example: PORT=4100 EMULATOR_PORT=4110 npm run demo   (${variable} is the one to change here)`,
    '',
  ].join('\n');
}
