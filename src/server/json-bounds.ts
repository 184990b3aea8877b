/**
 * What a request's JSON may hold, counted over its text before `JSON.parse` sees it: how deep its arrays and objects
 * nest, and how many values it holds. V8's `JSON.parse` does not overflow its stack on deep input, but its cost
 * grows with what it builds, not with the bytes: 450,000 levels of `[` in a 900 KB body took about 290 ms of the
 * gateway's CPU, 60-level arrays repeated over 900 KB 245 ms, 300,000 empty objects 147 ms, one object of 80,000
 * members 80 ms; the same 900 KB as one string costs a few. The 1 MB body limit alone let a client without a token
 * hold `/healthz` above a second with such bodies.
 */

/**
 * The deepest a request's JSON may nest `[` and `{`, the body itself counting as one level. The deepest legitimate
 * body of this schema is 4 levels (body → variables → `inputs` list → one input object, or → `representations` →
 * one representation), and `extensions` 3 (body → extensions → `persistedQuery`); 64 leaves room for clients that
 * put nested metadata of their own in `extensions`, while a 64-level array costs nothing to parse.
 */
export const MAX_JSON_NESTING = 64;

/**
 * The values a request's JSON may hold at least, counted as its arrays, objects and commas (an item or member after
 * the first of its array or object): 10,000, about 5 ms of parsing at JSON.parse's slowest (empty objects).
 */
export const MIN_JSON_VALUES = 10_000;

/**
 * Values per bulk item the operation may carry (MAX_BULK_INPUTS): an input is an object of at most 8 fields (9
 * counted), a representation fewer; 20 leaves twice that for the variables and extensions beside them.
 */
const VALUES_PER_BULK_INPUT = 20;

export interface JsonBounds {
  readonly nesting: number;
  readonly values: number;
}

/** The bounds for a gateway that lets one operation carry `maxBulkInputs` bulk items (MAX_BULK_INPUTS). */
export function jsonBounds(maxBulkInputs: number): JsonBounds {
  return {
    nesting: MAX_JSON_NESTING,
    values: Math.max(MIN_JSON_VALUES, VALUES_PER_BULK_INPUT * maxBulkInputs),
  };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Where the JSON string opened at `start` is closed, or -1 when it is not. Found with `indexOf` (strings are most of
 * a body: the document is one), then a quote preceded by an odd run of backslashes is an escaped one. Each
 * backslash is looked at at most once, as the run before the next quote, so the scan stays linear.
 */
function stringEnd(text: string, start: number): number {
  let quote = text.indexOf('"', start + 1);
  while (quote !== -1) {
    let backslashes = 0;
    for (let at = quote - 1; text.charCodeAt(at) === BACKSLASH; at -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}

/**
 * Which bound `text` passes first, in one pass, strings (escapes included) skipped as JSON reads them; null when it
 * passes neither. Text that is not JSON may be answered either way, with one guarantee: wherever the scan stops
 * saying null (an unterminated string, a `]` or `}` with nothing open), `JSON.parse` fails at that same point, so it
 * never builds more than was counted.
 */
export function jsonBoundExceeded(text: string, bounds: JsonBounds): 'nesting' | 'values' | null {
  let depth = 0;
  let values = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (char === QUOTE) {
      index = stringEnd(text, index);
      if (index === -1) return null;
    } else if (char === OPEN_ARRAY || char === OPEN_OBJECT) {
      depth += 1;
      if (depth > bounds.nesting) return 'nesting';
      values += 1;
      if (values > bounds.values) return 'values';
    } else if (char === COMMA) {
      values += 1;
      if (values > bounds.values) return 'values';
    } else if (char === CLOSE_ARRAY || char === CLOSE_OBJECT) {
      depth -= 1;
      if (depth < 0) return null;
    }
  }
  return null;
}

/** Why `what` (`The body`, `The 'variables' parameter`) cannot be parsed, in words that name the bound; or null. */
export function jsonBoundsProblem(what: string, text: string, bounds: JsonBounds): string | null {
  const exceeded = jsonBoundExceeded(text, bounds);
  if (exceeded === 'nesting')
    return `${what} nests JSON arrays and objects more than ${bounds.nesting} levels deep.`;
  if (exceeded === 'values')
    return `${what} holds more than ${bounds.values} JSON values (arrays, objects and commas counted; the bound is ${VALUES_PER_BULK_INPUT} per MAX_BULK_INPUTS, at least ${MIN_JSON_VALUES}).`;
  return null;
}
