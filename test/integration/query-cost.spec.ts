import { getIntrospectionQuery } from 'graphql';
import { HOSTILE_DOCUMENTS } from '../../bench/hostile-documents';
import type { RefusedAt } from '../../bench/hostile-documents';
import { startHarness } from '../helpers/harness';
import type { GraphQLResponse, Harness } from '../helpers/harness';

// Where each hostile document is refused, and that nothing past that point ran: no timings here (speed on a busy
// machine is the benchmark's to measure: `npm run bench:hostile`, docs/hardening.md), but what a refusal proves.
// A document refused by the route's guards never reaches Apollo, so the operations counter does not move; one
// refused while parsing is counted as GRAPHQL_PARSE_FAILED (validation never saw it); one refused as validation
// enters it carries that refusal alone, though most of them also hold mistakes graphql-js's rules would report.
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ env: { INTROSPECTION: 'true' } });
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

/** The operations counted by outcome so far (the gateway's /metrics). */
async function outcomes(): Promise<Record<string, number>> {
  const text = await (await fetch(harness.gateway.url.replace(/\/graphql$/, '/metrics'))).text();
  const counts: Record<string, number> = {};
  for (const [, outcome, count] of text.matchAll(
    /^intune_gateway_graphql_operations_total\{[^}]*outcome="([^"]+)"\} (\d+)$/gm,
  ))
    counts[outcome!] = (counts[outcome!] ?? 0) + Number(count);
  return counts;
}

const CODES: Readonly<Record<RefusedAt, string>> = {
  guard: 'GRAPHQL_VALIDATION_FAILED',
  parse: 'GRAPHQL_PARSE_FAILED',
  validation: 'GRAPHQL_VALIDATION_FAILED',
};

/** What the operations counter must have counted for one refusal. */
const COUNTED: Readonly<Record<RefusedAt, Record<string, number>>> = {
  guard: {},
  parse: { GRAPHQL_PARSE_FAILED: 1 },
  validation: { GRAPHQL_VALIDATION_FAILED: 1 },
};

function difference(before: Record<string, number>, after: Record<string, number>) {
  return Object.fromEntries(
    Object.entries(after)
      .map(([outcome, count]) => [outcome, count - (before[outcome] ?? 0)] as const)
      .filter(([, count]) => count !== 0),
  );
}

describe('hostile documents of about 50 KB are refused where they should be', () => {
  it.each(HOSTILE_DOCUMENTS.map((document) => [document.name, document.refusedAt, document]))(
    '%s: refused at %s, with nothing after it run',
    async (_name, refusedAt, document) => {
      const before = await outcomes();
      const { status, body } = await harness.gateway.send({ query: document.query });
      expect(status).toBe(400);
      expect(body).not.toHaveProperty('data');
      expect(body.errors).toHaveLength(document.errors ?? 1);
      expect(body.errors?.[0]?.message.startsWith(document.message)).toBe(true);
      expect(body.errors?.[0]?.extensions?.code).toBe(CODES[refusedAt]);
      expect(difference(before, await outcomes())).toEqual(COUNTED[refusedAt]);
      expect(harness.emulator.requests).toHaveLength(0);
    },
  );

  it('refuses them all while serving others: every /healthz and every read between them answered', async () => {
    const health = () => fetch(harness.gateway.url.replace(/\/graphql$/, '/healthz'));
    const answers = await Promise.all(
      HOSTILE_DOCUMENTS.flatMap((document) => [
        harness.gateway.send({ query: document.query }).then((answer) => answer.status),
        health().then((response) => response.status),
        harness.gateway.send({ query: '{ __typename }' }).then((answer) => answer.status),
      ]),
    );
    const expected = HOSTILE_DOCUMENTS.flatMap(() => [400, 200, 200]);
    expect(answers).toEqual(expected);
  });
});

async function gql(query: string): Promise<GraphQLResponse> {
  return harness.gateway.send({ query });
}

/** `query{...F0} fragment F0 on Query{...F1 ...F1} … fragment Fn on Query{__typename}` (~1 KB at 24 levels). */
function fragmentBomb(levels: number): string {
  const chain = Array.from(
    { length: levels },
    (_, i) => `fragment F${i} on Query{...F${i + 1} ...F${i + 1}}`,
  );
  return `query{...F0} ${chain.join(' ')} fragment F${levels} on Query{__typename}`;
}

describe('a fragment bomb (each fragment spreads the next twice) is refused as validation starts', () => {
  it.each([24, 40])(
    '%i levels → 400, the limit the only error, Graph never called',
    async (levels) => {
      const { status, body } = await gql(fragmentBomb(levels));
      expect(status).toBe(400);
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'The operation selects more than 200 fields.',
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        }),
      ]);
      expect(harness.emulator.requests).toHaveLength(0);
    },
  );
});

describe('introspection is limited too, within what GraphiQL needs', () => {
  it("GraphiQL 5's introspection query is answered", async () => {
    const query = getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true });
    const { status, body } = await gql(query);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data?.__schema).toMatchObject({ queryType: { name: 'Query' } });
  });

  it('90 aliased types × 90 aliased fields → 400, the limit the only error', async () => {
    // 4 KB of text: the fragment holds the 90 aliased fields, each of the 90 aliased types spreads it.
    const fields = Array.from({ length: 90 }, (_, f) => `f${f}: fields { name }`).join(' ');
    const types = Array.from({ length: 90 }, (_, t) => `t${t}: types { ...F }`).join(' ');
    const { status, body } = await gql(
      `{ __schema { ${types} } } fragment F on __Type { ${fields} }`,
    );
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: 'The operation uses more than 50 aliases.',
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    ]);
  });

  it('introspection deeper than 20 levels → 400', async () => {
    const ofTypes = `${'ofType { '.repeat(19)}name${' }'.repeat(19)}`;
    const { status, body } = await gql(`{ __type(name: "Query") { ${ofTypes} } }`);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toBe(
      'The operation introspects 21 levels deep (at most 20).',
    );
  });
});
