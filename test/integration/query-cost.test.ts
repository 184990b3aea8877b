import { getIntrospectionQuery } from 'graphql';
import { AUTH, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
  // Warm up (first connection, the JIT on graphql-js's validation rules) so that the timings below measure the
  // attacks alone, not the first run of code on a busy machine.
  await fetch(`${origin()}/healthz`);
  for (const levels of [8, 12, 16]) await harness.gateway.gql(fragmentBomb(levels));
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

const origin = () => harness.gateway.url.replace(/\/graphql$/, '');

interface Watched<T> {
  readonly result: T;
  readonly elapsedMs: number;
  /** The slowest `/healthz` answer while the work ran. */
  readonly slowestHealthMs: number;
  readonly healthChecks: number;
}

/** Runs `work` while `/healthz` is asked again and again, one at a time; a blocked event loop shows as a slow answer. */
async function whileWatchingHealth<T>(work: () => Promise<T>): Promise<Watched<T>> {
  let running = true;
  const latencies: number[] = [];
  const watcher = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(`${origin()}/healthz`);
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
    }
  })();
  const started = performance.now();
  const result = await work();
  const elapsedMs = performance.now() - started;
  running = false;
  await watcher;
  return {
    result,
    elapsedMs,
    slowestHealthMs: Math.max(...latencies),
    healthChecks: latencies.length,
  };
}

/** `query{...F0} fragment F0 on Query{...F1 ...F1} … fragment Fn on Query{__typename}` (~1 KB at 24 levels). */
function fragmentBomb(levels: number): string {
  const chain = Array.from(
    { length: levels },
    (_, i) => `fragment F${i} on Query{...F${i + 1} ...F${i + 1}}`,
  );
  return `query{...F0} ${chain.join(' ')} fragment F${levels} on Query{__typename}`;
}

describe('a fragment bomb (each fragment spreads the next twice) is refused at once', () => {
  it.each([24, 40])('%i levels → 400 within 1 s, /healthz fast meanwhile', async (levels) => {
    const watched = await whileWatchingHealth(() =>
      harness.gateway.gql(fragmentBomb(levels), undefined, AUTH),
    );
    expect(watched.result.status).toBe(400);
    expect(watched.result.body.errors?.[0]).toMatchObject({
      message: 'The operation selects more than 200 fields.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(watched.elapsedMs).toBeLessThan(1000);
    expect(watched.healthChecks).toBeGreaterThan(0);
    expect(watched.slowestHealthMs).toBeLessThan(100);
    expect(harness.emulator.requests).toHaveLength(0);
  });
});

describe('introspection is limited too, within what GraphiQL needs', () => {
  it("GraphiQL 5's introspection query is answered", async () => {
    const query = getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true });
    const { status, body } = await harness.gateway.gql(query);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data?.__schema).toMatchObject({ queryType: { name: 'Query' } });
  });

  it('90 aliased types × 90 aliased fields → 400, /healthz fast meanwhile', async () => {
    // 4 KB of text: the fragment holds the 90 aliased fields, each of the 90 aliased types spreads it.
    const fields = Array.from({ length: 90 }, (_, f) => `f${f}: fields { name }`).join(' ');
    const types = Array.from({ length: 90 }, (_, t) => `t${t}: types { ...F }`).join(' ');
    const document = `{ __schema { ${types} } } fragment F on __Type { ${fields} }`;
    const watched = await whileWatchingHealth(() => harness.gateway.gql(document));
    expect(watched.result.status).toBe(400);
    expect(watched.result.body.errors?.[0]).toMatchObject({
      message: 'The operation uses more than 50 aliases.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(watched.elapsedMs).toBeLessThan(1000);
    expect(watched.slowestHealthMs).toBeLessThan(100);
  });

  it('introspection deeper than 20 levels → 400', async () => {
    const ofTypes = `${'ofType { '.repeat(19)}name${' }'.repeat(19)}`;
    const { status, body } = await harness.gateway.gql(`{ __type(name: "Query") { ${ofTypes} } }`);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toBe(
      'The operation introspects 21 levels deep (at most 20).',
    );
  });
});
