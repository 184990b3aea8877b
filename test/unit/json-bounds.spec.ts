import {
  MAX_JSON_NESTING,
  MIN_JSON_VALUES,
  jsonBoundExceeded,
  jsonBounds,
  jsonBoundsProblem,
} from '../../src/server/json-bounds';

/** The nesting bound alone. */
const jsonNestingExceeds = (text: string, limit = MAX_JSON_NESTING) =>
  jsonBoundExceeded(text, { nesting: limit, values: Infinity }) === 'nesting';

/** The values bound alone. */
const jsonValuesExceed = (text: string, limit: number) =>
  jsonBoundExceeded(text, { nesting: Infinity, values: limit }) === 'values';

/** A small seeded generator (mulberry32): the same values on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * What strings are made of: what a scan could mistake for structure. JSON.stringify writes them as `\"`, `\\`
 * and `\u0000`, so the texts hold runs of backslashes before quotes, and brackets between them.
 */
const TRICKY = ['"', '\\', '\\', '[', ']', '{', '}', 'a', '\u0000', 'é', ','];

/** A random JSON value and its nesting (arrays and objects), strings full of TRICKY characters. */
function value(next: () => number, budget: number): [unknown, number] {
  const pick = next();
  if (budget === 0 || pick < 0.3) {
    const length = Math.floor(next() * 6);
    const text = Array.from({ length }, () => TRICKY[Math.floor(next() * TRICKY.length)]!).join('');
    return [pick < 0.15 ? text : Math.floor(next() * 100), 0];
  }
  const children = Array.from({ length: 1 + Math.floor(next() * 3) }, () =>
    value(next, budget - 1),
  );
  const depth = 1 + Math.max(...children.map(([, nested]) => nested));
  if (pick < 0.65) return [children.map(([child]) => child), depth];
  const entries = children.map(([child], index) => [`k${index}${TRICKY[index]}`, child]);
  return [Object.fromEntries(entries), depth];
}

const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('jsonBoundExceeded: nesting', () => {
  it.each([
    ['{}', 1, false],
    ['{}', 0, true],
    ['"no structure at all"', 0, false],
    ['[[1]]', 2, false],
    ['[[[1]]]', 2, true],
    ['{"a":{"b":[1]}}', 3, false],
    ['{"a":{"b":[1]}}', 2, true],
    ['[{"a":[{"b":1}]}]', 4, false],
    ['[{"a":[{"b":1}]}]', 3, true],
    ['[[1],[2],[3],{"a":1}]', 2, false],
  ])('arrays and objects mixed: %j, limit %i: %s', (text, limit, expected) => {
    expect(jsonNestingExceeds(text, limit)).toBe(expected);
  });

  it.each([
    ['brackets inside a string', '{"a":"[[[[{{{{"}', 1, false],
    ['an escaped quote', '{"a":"\\"[[[["}', 1, false],
    ['escaped quotes only', '{"a":"\\"\\"\\""}', 1, false],
    ['an escaped backslash ends the string', '{"a":"\\\\","b":[[1]]}', 2, true],
    ['an escaped backslash, then an escaped quote', '{"a":"\\\\\\"[[[["}', 1, false],
    ['three backslashes and a quote stay inside', '["\\\\\\"[[[[", 1]', 1, false],
    ['a unicode escape of a quote', '{"a":"\\u0022[[[["}', 1, false],
    ['a key holding brackets', '{"[[[[":{"]]]]":1}}', 2, false],
    ['strings both sides of the nesting', '["[",["]",["[",[1]]]]', 4, false],
    ['strings both sides of the nesting, one level less', '["[",["]",["[",[1]]]]', 3, true],
    ['an empty string', '[""]', 1, false],
  ])('strings are skipped: %s', (_name, text, limit, expected) => {
    expect(jsonNestingExceeds(text, limit)).toBe(expected);
  });

  it.each([
    ['arrays', arrays],
    ['objects', objects],
  ])('%s: exactly the limit passes, one more level is refused', (_name, nest) => {
    expect(jsonNestingExceeds(nest(MAX_JSON_NESTING))).toBe(false);
    expect(jsonNestingExceeds(nest(MAX_JSON_NESTING + 1))).toBe(true);
    expect(jsonNestingExceeds(`{"variables":{"a":${nest(MAX_JSON_NESTING - 2)}}}`)).toBe(false);
    expect(jsonNestingExceeds(`{"variables":{"a":${nest(MAX_JSON_NESTING - 1)}}}`)).toBe(true);
  });

  it('agrees with the nesting of 2,000 generated values, strings full of quotes, backslashes and brackets', () => {
    const next = random(20261206);
    const disagreements: string[] = [];
    for (let index = 0; index < 2_000; index += 1) {
      const [generated, depth] = value(next, 8);
      const text = JSON.stringify(generated);
      if (jsonNestingExceeds(text, depth) || (depth > 0 && !jsonNestingExceeds(text, depth - 1)))
        disagreements.push(`${depth}: ${text}`);
    }
    expect(disagreements).toEqual([]);
  });

  it.each([
    // JSON.parse fails where the scan stops: it never parses the nesting that follows.
    ['an unterminated string', '["[[[[[[', 1, false],
    ['an unterminated string after an escaped quote', '["\\"[[[[[[', 1, false],
    ['nesting over the limit before an unterminated string', '[[[["', 3, true],
    ['a close with nothing open', ']' + arrays(10), 3, false],
    ['a close with nothing open after a whole value', '[1]]' + arrays(10), 3, false],
    ['unclosed nesting', '[[[[', 3, true],
    ['unclosed nesting within the limit', '[[[', 3, false],
    ['an empty text', '', 0, false],
    ['a lone quote', '"', 0, false],
    ['a lone backslash', '\\', 0, false],
  ])('text that is not JSON: %s', (_name, text, limit, expected) => {
    expect(jsonNestingExceeds(text, limit)).toBe(expected);
  });

  it.each([
    ['450,000 levels of arrays (the reported attack)', arrays(450_000), true],
    ['deep after 500 KB of string', `["${'x'.repeat(500_000)}",${arrays(1_000)}]`, true],
    ['deep after 100,000 escaped quotes', `["${'\\"'.repeat(100_000)}",${arrays(1_000)}]`, true],
    ['just under the limit, 5,000 times', `[${Array(5_000).fill(arrays(63)).join(',')}]`, false],
    ['100,000 backslash pairs, then nesting', `["${'\\\\'.repeat(100_000)}",${arrays(100)}]`, true],
  ])('large input: %s', (_name, text, expected) => {
    expect(jsonNestingExceeds(text)).toBe(expected);
  });
});

describe('jsonBoundExceeded: values (arrays, objects and commas outside strings)', () => {
  it.each([
    ['[1,2,3]', 3, false],
    ['[1,2,3]', 2, true],
    ['{"a":1,"b":[1,2]}', 4, false],
    ['{"a":1,"b":[1,2]}', 3, true],
    ['["a,b,c,d,e"]', 1, false],
    ['["\\",",",","]', 3, false],
    ['["\\",",",","]', 2, true],
    ['{"k,k,k,k":"v,v,v,v"}', 1, false],
    ['1', 0, false],
    ['[]', 0, true],
    [`[${'1,'.repeat(9_999)}1]`, MIN_JSON_VALUES, false],
    [`[${'1,'.repeat(10_000)}1]`, MIN_JSON_VALUES, true],
    [`[${'{},'.repeat(4_999)}{}]`, MIN_JSON_VALUES, false],
    [`[${'{},'.repeat(5_000)}{}]`, MIN_JSON_VALUES, true],
  ])('%j, bound %i: %s', (text, limit, expected) => {
    expect(jsonValuesExceed(text, limit)).toBe(expected);
  });

  it('a bulk update of MAX_BULK_INPUTS inputs with every field passes, at any MAX_BULK_INPUTS', () => {
    const input = {
      path: 'DEVICE_CONFIGURATION',
      deviceConfigurationId: 'c',
      userStatusId: 's',
      status: 'ERROR',
      lastReportedDateTime: '2026-01-01T00:00:00Z',
      userDisplayName: 'A, B',
      userPrincipalName: 'a@b',
      devicesCount: 1,
    };
    for (const maxBulkInputs of [1, 100, 2_000, 10_000]) {
      const inputs = Array.from({ length: maxBulkInputs }, () => input);
      const body = JSON.stringify({ query: 'mutation…', variables: { inputs } });
      expect([maxBulkInputs, jsonBoundExceeded(body, jsonBounds(maxBulkInputs))]).toEqual([
        maxBulkInputs,
        null,
      ]);
    }
  });

  it.each([
    [1, MIN_JSON_VALUES],
    [100, MIN_JSON_VALUES],
    [500, MIN_JSON_VALUES],
    [501, 10_020],
    [10_000, 200_000],
  ])('MAX_BULK_INPUTS %i: %i values', (maxBulkInputs, values) => {
    expect(jsonBounds(maxBulkInputs)).toEqual({ nesting: MAX_JSON_NESTING, values });
  });

  it('whichever bound is passed first is named', () => {
    const bounds = { nesting: 3, values: 5 };
    expect(jsonBoundExceeded('[[[[1]]]]', bounds)).toBe('nesting');
    expect(jsonBoundExceeded('[1,2,3,4,5,[[[1]]]]', bounds)).toBe('values');
    expect(jsonBoundExceeded('[1,2,[3]]', bounds)).toBeNull();
  });
});

describe('jsonBoundsProblem', () => {
  it.each([
    ['[[1]]', null],
    ['[[[1]]]', 'The body nests JSON arrays and objects more than 2 levels deep.'],
    [
      '[1,2,3,4]',
      `The body holds more than 3 JSON values (arrays, objects and commas counted; the bound is 20 per MAX_BULK_INPUTS, at least ${MIN_JSON_VALUES}).`,
    ],
  ])('%j', (text, expected) => {
    expect(jsonBoundsProblem('The body', text, { nesting: 2, values: 3 })).toBe(expected);
  });
});
