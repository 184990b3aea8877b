import { GET_QUERY, startGateway, waitFor } from '../helpers/harness';
import type { Gateway, GraphQLResponse } from '../helpers/harness';
import { startHeldGraph } from '../helpers/held-graph';
import type { HeldGraph } from '../helpers/held-graph';

/**
 * The tenant cap and the quota budget over real HTTP (src/graph/client/tenant-cap.ts, `takeTurn`), against the
 * recording Graph stand-in (it answers 401 to every token it was not given). The attack: forged tokens claiming
 * tenants at their budget wait for it a whole window; when each held a place in the lanes all unproven tokens share
 * meanwhile, a genuine new token of an unrelated tenant waited behind them. An unproven call now takes that shared
 * place only once it has its budget. Every check is an order or a count: what Graph had received when the new
 * token's answer came back.
 */
const APP = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
/** The cap: one place per claimed tenant for unproven tokens, 8 for all of them together. */
const CAP = 8;
/** Tenants at their budget, one forged token claiming each: as many as the shared lane has places. */
const tenants = Array.from({ length: CAP }, (_, n) => `4${n}000000-0000-4000-8000-00000000000${n}`);
const NEW_TENANT = '49000000-0000-4000-8000-000000000009';

/** A JWT-shaped bearer header claiming `tid` (the gateway reads it, never verifies it); `n` makes it unique. */
function bearer(tid: string, n: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `Bearer ${encode({ typ: 'JWT', alg: 'none' })}.${encode({ tid, appid: APP, n })}.sig`;
}
const genuine = tenants.map((tid) => bearer(tid, 'genuine'));
const NEW_TOKEN = bearer(NEW_TENANT, 'new');

const read = (gateway: Gateway, authorization: string, userStatusId: string) =>
  gateway.gql(
    GET_QUERY,
    { path: 'DEVICE_CONFIGURATION', c: 'config-1', s: userStatusId },
    { authorization },
  );
const codes = (response: GraphQLResponse) =>
  (response.body.errors ?? []).map((error) => error.extensions?.code);

/** One series of the gateway's `/metrics`. */
async function metric(gateway: Gateway, series: string): Promise<number> {
  const text = await (await fetch(gateway.url.replace(/\/graphql$/, '/metrics'))).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return Number(line?.slice(series.length + 1) ?? NaN);
}
const waiting = (lane: string) => `intune_gateway_graph_tenant_cap_waiting{lane="${lane}"}`;
const refused = (lane: string) => `intune_gateway_graph_tenant_cap_refused_total{lane="${lane}"}`;

/**
 * One read per app and window of 5 s: a tenant's one proven read puts it at its budget for that long, several times
 * what the test needs to set up on a loaded machine (a forged call sent before the new token's would fail it), and
 * the test then waits it out once. The deadline leaves the forged calls time to wait for it.
 */
const QUOTAS = {
  GRAPH_TENANT_MAX_IN_FLIGHT: String(CAP),
  GRAPH_QUOTA_WINDOW_MS: '5000',
  GRAPH_QUOTA_APP_CALLS: '1',
  GRAPH_DEADLINE_MS: '30000',
};
const SLOW_MACHINE = 60_000;

let graph: HeldGraph | undefined;
let gateway: Gateway | undefined;
afterEach(async () => {
  graph?.release();
  await gateway?.close();
  await graph?.close();
  graph = gateway = undefined;
}, SLOW_MACHINE);

it(
  'forged tokens claiming tenants at their budget wait for it without a shared place: a new token of another tenant is answered at once',
  async () => {
    graph = await startHeldGraph(new Set([...genuine, NEW_TOKEN]));
    gateway = await startGateway({ GRAPH_BASE_URL: graph.baseUrl, ...QUOTAS });
    const gw = gateway;
    // Each tenant's genuine token reads once: proven, and its tenant at its budget for a window.
    for (const [n, authorization] of genuine.entries())
      expect(codes(await read(gw, authorization, `fast-g${n}`))).toEqual([]);
    // Two forged tokens claiming each tenant: the first takes the tenant's one unproven place and waits for its
    // budget; the second waits for that place. Once 8 wait there, every first one is waiting for budget.
    const forged = tenants.flatMap((tid, n) => [
      read(gw, bearer(tid, `forged-${n}`), `fast-f${n}`),
      read(gw, bearer(tid, `forged-${n}-again`), `fast-f${n}-again`),
    ]);
    await waitFor(async () => (await metric(gw, waiting('unproven'))) === CAP, 20_000, 50);

    const answer = await read(gw, NEW_TOKEN, 'fast-new');
    expect(answer.body.data).toMatchObject({ deviceConfigurationUserStatus: { id: 'fast-new' } });
    // When the new token had its answer, Graph had received the genuine reads and the new one, no forged call.
    expect(graph.received.map((entry) => entry.ids[0])).toEqual([
      ...tenants.map((_, n) => `fast-g${n}`),
      'fast-new',
    ]);
    expect(await metric(gw, waiting('unproven'))).toBe(CAP);

    // A window later the forged calls have budget: each sent once, refused by Graph, its budget back for the next.
    const answers = await Promise.all(forged);
    expect(new Set(answers.flatMap(codes))).toEqual(new Set(['UNAUTHENTICATED']));
    expect(graph.received).toHaveLength(CAP + 1 + 2 * CAP);
    expect(await metric(gw, waiting('unproven'))).toBe(0);
    expect(await metric(gw, refused('unproven'))).toBe(0);
  },
  SLOW_MACHINE,
);
