/**
 * How deep a JSON text nests its arrays and objects, counted before `JSON.parse` sees it. V8's `JSON.parse` does not
 * overflow its stack on deep input, but it is slow on it: 450,000 levels of `[` in a 900 KB body cost about 200 ms
 * of CPU (each level about ten times what a flat array's item costs), and four clients sending such bodies without
 * a token held `/healthz` at 324 ms (p50). Nothing a client of this API sends needs more than a few levels.
 */

/**
 * The deepest a request's JSON may nest `[` and `{`, the body itself counting as one level. The deepest legitimate
 * body of this schema is 4 levels (body → variables → `inputs` list → one input object, or → `representations` →
 * one representation), and `extensions` 3 (body → extensions → `persistedQuery`); 64 leaves room for clients that
 * put nested metadata of their own in `extensions`, while a 64-level array costs nothing to parse.
 */
export const MAX_JSON_NESTING = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
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
 * Whether `text` nests `[` and `{` deeper than `limit`, in one pass, strings (escapes included) skipped as JSON
 * reads them. Text that is not JSON may be answered either way, with one guarantee: wherever the scan stops saying
 * no (an unterminated string, a `]` or `}` with nothing open), `JSON.parse` fails at that same point, so it never
 * builds more nesting than was counted.
 */
export function jsonNestingExceeds(text: string, limit = MAX_JSON_NESTING): boolean {
  let depth = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (char === QUOTE) {
      index = stringEnd(text, index);
      if (index === -1) return false;
    } else if (char === OPEN_ARRAY || char === OPEN_OBJECT) {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === CLOSE_ARRAY || char === CLOSE_OBJECT) {
      depth -= 1;
      if (depth < 0) return false;
    }
  }
  return false;
}
