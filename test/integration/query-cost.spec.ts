import { getIntrospectionQuery } from 'graphql';
import { startBuiltGateway } from '../../bench/lib';
import type { StartedGateway } from '../../bench/lib';
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/server';
import type { GraphQLResponse } from '../helpers/harness';

// The gateway runs as its own process, as in production (NODE_ENV=production, so graphql-js skips its development
// checks), with introspection on: /healthz is measured from outside the process that does the work, and the test
// runner's own work does not count against it.
let emulator: Emulator;
let gateway: StartedGateway;
beforeAll(async () => {
  emulator = await startEmulator();
  gateway = await startBuiltGateway(
    { GRAPH_BASE_URL: emulator.baseUrl, INTROSPECTION: 'true' },
    { fromSource: true },
  );
  // Warm up (first connection, the JIT on graphql-js's validation rules) so that the timings below measure the
  // attacks alone, not the first run of code on a busy machine.
  await fetch(`${origin()}/healthz`);
  for (const levels of [8, 12, 16]) await gql(fragmentBomb(levels));
}, 30_000);
afterAll(async () => {
  await gateway.stop();
  await emulator.close();
});
beforeEach(() => emulator.reset());

const origin = () => gateway.url.replace(/\/graphql$/, '');

async function gql(query: string): Promise<GraphQLResponse> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] };
}

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
    const watched = await whileWatchingHealth(() => gql(fragmentBomb(levels)));
    expect(watched.result.status).toBe(400);
    expect(watched.result.body.errors?.[0]).toMatchObject({
      message: 'The operation selects more than 200 fields.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(watched.elapsedMs).toBeLessThan(1000);
    expect(watched.healthChecks).toBeGreaterThan(0);
    expect(watched.slowestHealthMs).toBeLessThan(100);
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('introspection is limited too, within what GraphiQL needs', () => {
  it("GraphiQL 5's introspection query is answered", async () => {
    const query = getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true });
    const { status, body } = await gql(query);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data?.__schema).toMatchObject({ queryType: { name: 'Query' } });
  });

  it('90 aliased types × 90 aliased fields → 400, /healthz fast meanwhile', async () => {
    // 4 KB of text: the fragment holds the 90 aliased fields, each of the 90 aliased types spreads it.
    const fields = Array.from({ length: 90 }, (_, f) => `f${f}: fields { name }`).join(' ');
    const types = Array.from({ length: 90 }, (_, t) => `t${t}: types { ...F }`).join(' ');
    const document = `{ __schema { ${types} } } fragment F on __Type { ${fields} }`;
    const watched = await whileWatchingHealth(() => gql(document));
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
    const { status, body } = await gql(`{ __type(name: "Query") { ${ofTypes} } }`);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toBe(
      'The operation introspects 21 levels deep (at most 20).',
    );
  });
});
