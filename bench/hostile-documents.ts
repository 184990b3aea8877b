/**
 * Hostile GraphQL documents of about 50 KB (just under the default 50,000-character limit, GRAPHQL_MAX_DOCUMENT_LENGTH),
 * each refused by one of the gateway's bounds: the guards before parsing (length, nesting), graphql-js's token
 * limit while parsing (GRAPHQL_MAX_TOKENS), and the limits rule that stops validation (src/graphql/limits.ts).
 * `bench/hostile.ts` sends them to measure what a refusal costs; test/integration/query-cost.spec.ts checks that
 * each is refused where it should be.
 */

/** Just under GRAPHQL_MAX_DOCUMENT_LENGTH's default. */
export const HOSTILE_LENGTH = 49_990;

/** `head`, then `unit(i)` as often as fits, then `tail`, at most `length` characters (`count` units at most). */
function fill(
  head: string,
  unit: (index: number) => string,
  tail: string,
  options: { length?: number; count?: number } = {},
): string {
  const length = options.length ?? HOSTILE_LENGTH;
  const parts: string[] = [];
  let size = head.length + tail.length;
  for (let index = 0; index < (options.count ?? Infinity); index += 1) {
    const part = unit(index);
    if (size + part.length > length) break;
    parts.push(part);
    size += part.length;
  }
  return head + parts.join('') + tail;
}

/** Insignificant to GraphQL (commas are ignored like spaces): brings a short document up to the length. */
function padded(document: string, length = HOSTILE_LENGTH): string {
  return document + ','.repeat(Math.max(0, length - document.length));
}

const READ = 'deviceConfigurationUserStatus(deviceConfigurationId:"c",userStatusId:"s")';

export type RefusedAt = 'guard' | 'parse' | 'validation';

export interface HostileDocument {
  readonly name: string;
  readonly query: string;
  /** Where the gateway refuses it. */
  readonly refusedAt: RefusedAt;
  /** The start of the first error's message. */
  readonly message: string;
  /** How many errors the answer holds (1 unless said). */
  readonly errors?: number;
}

const PARSE_REFUSAL = 'The document has more than 3000 tokens';

/** Too many tokens for the parser: refused while parsing, whatever they spell. */
const OVER_TOKENS: readonly HostileDocument[] = [
  ['fields', fill('{', () => '__typename ', '}')],
  ['aliases', fill('{', (i) => `a${i}:__typename `, '}')],
  ['directives', fill('{__typename', () => '@skip(if:false)', '}')],
  ['variables', fill('query(', (i) => `$v${i}:Int `, '){__typename}')],
  ['fragment-spreads', fill('{', () => '...F ', '} fragment F on Query{__typename}')],
  ['reads', fill('{', () => `${READ}{id status} `, '}')],
  ['list-values', fill('{__typename(x:[', () => '1,', '])}')],
].map(([name, query]) => ({
  name: name!,
  query: query!,
  refusedAt: 'parse',
  message: PARSE_REFUSAL,
}));

/**
 * Within the token limit (padded with commas, which the parser skips), over a validation limit: the limits rule
 * refuses each as validation enters the document. Several also hold mistakes that graphql-js's own rules would
 * report (unknown fields, arguments, fragments) if validation went on: the refusal must be the only error.
 */
const OVER_LIMITS: readonly HostileDocument[] = [
  {
    name: 'unknown-fields',
    query: padded(fill('{', (i) => `f${i} `, '}', { count: 250 })),
    message: 'The operation selects more than 200 fields.',
  },
  {
    name: 'long-aliases',
    query: fill('{', (i) => `a${i}${'x'.repeat(700)}:__typename `, '}', { count: 60 }),
    message: 'The operation uses more than 50 aliases.',
  },
  {
    name: 'same-name-reads',
    query: padded(fill('{', (i) => `r:${READ.replace('"s"', `"s${i}"`)}{id} `, '}', { count: 60 })),
    message: 'The operation uses more than 50 aliases.',
  },
  {
    name: 'operations',
    query: padded(fill('', (i) => `query Q${i}{...Nope} `, '', { count: 60 })),
    message: 'The document defines more than 50 operations and fragments.',
  },
  {
    name: 'fragment-chain',
    query: padded(
      fill('{...F0} ', (i) => `fragment F${i} on Query{...F${i + 1} ...F${i + 1}} `, '', {
        count: 60,
      }),
    ),
    message: 'The document defines more than 50 operations and fragments.',
  },
  {
    name: 'variable-definitions',
    query: padded(
      fill(
        'mutation(',
        (i) => `$v${i}:UpdateDeviceConfigurationUserStatusInput! `,
        '){__typename}',
        { count: 150 },
      ),
    ),
    message: 'The document declares more than 100 variables.',
  },
  {
    name: 'depth',
    query: padded(`{${'a{'.repeat(150)}b${'}'.repeat(150)}}`),
    message: 'The operation is nested 151 levels deep (at most 10).',
  },
  // Over no limit of the gateway's: graphql-js's own rules refuse these, at the most a document within the token
  // limit costs them (the list's values are visited by every rule), or after 10 errors (MAX_VALIDATION_ERRORS).
  {
    name: 'list-under-tokens',
    query: padded(fill('{__typename(x:[', () => '1,', '])}', { count: 2990 })),
    message: 'Unknown argument "x" on field "Query.__typename".',
  },
  {
    name: 'unknown-arguments',
    query: padded(fill('{__typename(', (i) => `a${i}:1 `, ')}', { count: 990 })),
    message: 'Unknown argument "a0" on field "Query.__typename".',
    errors: 11,
  },
].map((document) => ({ ...document, refusedAt: 'validation' }));

/** Refused before they are parsed (the route's guards). */
const GUARDED: readonly HostileDocument[] = [
  {
    name: 'over-length',
    query: padded('{__typename}', HOSTILE_LENGTH + 20),
    refusedAt: 'guard',
    message: 'The document is longer than 50000 characters.',
  },
  {
    name: 'nesting',
    query: padded(`{${'__typename(x:['.repeat(250)}${']'.repeat(250)})}`),
    refusedAt: 'guard',
    message: 'The document is nested more than 200 levels deep.',
  },
];

export const HOSTILE_DOCUMENTS: readonly HostileDocument[] = [
  ...OVER_TOKENS,
  ...OVER_LIMITS,
  ...GUARDED,
];

/** Documents a client sends every day, for comparison: small, and answered (without a token, UNAUTHENTICATED). */
export const NORMAL_DOCUMENTS: ReadonlyArray<{ readonly name: string; readonly query: string }> = [
  { name: 'typename', query: '{ __typename }' },
  { name: 'read', query: `{ ${READ} { id status lastReportedDateTime userDisplayName } }` },
];

/** About the size of the reported attack's bodies (900 KB), under the 1 MB body limit. */
export const HOSTILE_BODY_LENGTH = 900_000;

/** A JSON body of about 900 KB, refused before it is parsed (src/server/json-bounds.ts), or within the bounds. */
export interface HostileBody {
  readonly name: string;
  readonly body: string;
  /** The start of the refusal's message; null for a body within the bounds, answered 200 (`{ __typename }`). */
  readonly message: string | null;
}

const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** `{ __typename }` with `value` as an unused variable: the value sits 3 levels deep in the body. */
const withVariable = (value: string) => `{"query":"{__typename}","variables":{"a":${value}}}`;

/** `[unit,unit,…,1]` in an unused variable, the body about HOSTILE_BODY_LENGTH characters long. */
const listOf = (unit: string) =>
  withVariable(`[${unit.repeat(Math.floor((HOSTILE_BODY_LENGTH - 60) / unit.length))}1]`);

const TOO_DEEP = 'The body nests JSON arrays and objects more than 64 levels deep.';
const TOO_MANY = 'The body holds more than 10000 JSON values';

/**
 * The reported attack (JSON nested 450,000 levels deep in `variables`), and what an attacker tries once nesting is
 * bounded: the nesting after most of the body, nesting just under the bound many times, and flat bodies of the
 * values JSON.parse is slowest to build (empty objects, members of one object) or that are the most of them (tiny
 * strings). Without the bound on values, those four cost 35–245 ms of CPU each (docs/hardening.md). The last is
 * within the bounds, the costliest such body found: one string of 450,000 escaped quotes, which JSON.parse
 * unescapes one by one; its cost follows the body's size, which the 1 MB body limit bounds.
 */
export const HOSTILE_BODIES: readonly HostileBody[] = [
  { name: 'json-deep', body: withVariable(arrays(450_000)), message: TOO_DEEP },
  {
    name: 'json-deep-after-string',
    body: withVariable(`["${'x'.repeat(HOSTILE_BODY_LENGTH - 3_000)}",${arrays(1_000)}]`),
    message: TOO_DEEP,
  },
  { name: 'json-nested-60-many', body: listOf(`${arrays(60)},`), message: TOO_MANY },
  { name: 'json-empty-objects', body: listOf('{},'), message: TOO_MANY },
  { name: 'json-tiny-strings', body: listOf('"",'), message: TOO_MANY },
  {
    name: 'json-many-keys',
    body: withVariable(
      `{${Array.from({ length: 80_000 }, (_, index) => `"k${index}":1`).join(',')}}`,
    ),
    message: TOO_MANY,
  },
  {
    name: 'json-escaped-quotes',
    body: withVariable(`"${'\\"'.repeat((HOSTILE_BODY_LENGTH - 60) / 2)}"`),
    message: null,
  },
];
