import Redis from 'ioredis';
import { gql } from '@apollo/client';
import { gatewayStartOptions, startBuiltGateway } from '../../bench/lib';
import type { StartedGateway } from '../../bench/lib';
import { startEmulator } from '../../emulator';
import type { Emulator } from '../../emulator';
import { configurationId, userStatusId } from '../../emulator/store';
import { TOKEN } from '../helpers/harness';
import { apolloClient, createWire, urqlClient } from '../helpers/persisted';
import { startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

/**
 * Automatic persisted queries across two gateway processes sharing one real redis-server, with the real clients:
 * a document registered through one replica runs by its hash alone on the other, and a Redis that dies costs a
 * resent document, never an error.
 */
const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
const query = (name: string) =>
  gql(`query ${name}($c: ID!, $s: ID!) {
    deviceConfigurationUserStatus(deviceConfigurationId: $c, userStatusId: $s) { id status }
  }`);
const mutation = (name: string) =>
  gql(`mutation ${name}($input: UpdateDeviceConfigurationUserStatusInput!) {
    updateDeviceConfigurationUserStatus(input: $input) { userStatus { id status } }
  }`);
const update = { input: { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' } };

let redis: TestRedis;
let inspect: Redis;
let emulator: Emulator;
let a: StartedGateway;
let b: StartedGateway;

beforeAll(async () => {
  [redis, emulator] = await Promise.all([startRedis(), startEmulator()]);
  inspect = new Redis(redis.url);
  const env = { GRAPH_BASE_URL: emulator.baseUrl, REDIS_URL: redis.url, GRAPH_QUOTAS: 'off' };
  const replicas = await Promise.all(
    [0, 1].map(() => startBuiltGateway(env, gatewayStartOptions())),
  );
  [a, b] = [replicas[0]!, replicas[1]!];
}, 60_000);
afterAll(async () => {
  await Promise.all([a, b].map((replica) => replica?.stop()));
  inspect?.disconnect();
  await emulator?.close();
  await redis?.stop();
});

/** Documents in Redis: registrations the other replica can see. */
const stored = async () => (await inspect.keys('intune-gateway:apq:*')).length;
const metrics = async (replica: StartedGateway) =>
  (await fetch(replica.url.replace(/\/graphql$/, '/metrics'))).text();

it("Apollo Client's link registers through replica A; replica B answers the hash alone", async () => {
  const before = await stored();
  const wireA = createWire();
  const first = await apolloClient(a.url, { token: TOKEN, wire: wireA }).query({
    query: query('SharedGet'),
    variables: { c, s },
    fetchPolicy: 'no-cache',
  });
  expect(first.data).toMatchObject({ deviceConfigurationUserStatus: { id: s } });
  expect(wireA.calls).toEqual([
    { method: 'POST', status: 200, sent: 'hash' },
    { method: 'POST', status: 200, sent: 'document+hash' },
  ]);
  // Apollo writes after validation without waiting; the answer may leave first.
  await waitFor(async () => (await stored()) === before + 1);

  const wireB = createWire();
  const second = await apolloClient(b.url, { token: TOKEN, wire: wireB }).query({
    query: query('SharedGet'),
    variables: { c, s },
    fetchPolicy: 'no-cache',
  });
  expect(second.data).toEqual(first.data);
  expect(wireB.calls).toEqual([{ method: 'POST', status: 200, sent: 'hash' }]);
}, 20_000);

it('hashes of queries by GET (useGETForHashedQueries); mutations always POST; shared both ways', async () => {
  const before = await stored();
  const wireB = createWire();
  const clientB = apolloClient(b.url, { token: TOKEN, wire: wireB, get: true });
  await clientB.query({ query: query('GetByGet'), variables: { c, s }, fetchPolicy: 'no-cache' });
  await clientB.mutate({ mutation: mutation('ApolloUpdate'), variables: update });
  expect(wireB.calls).toEqual([
    { method: 'GET', status: 200, sent: 'hash' },
    { method: 'POST', status: 200, sent: 'document+hash' },
    { method: 'POST', status: 200, sent: 'hash' },
    { method: 'POST', status: 200, sent: 'document+hash' },
  ]);
  await waitFor(async () => (await stored()) === before + 2);

  const wireA = createWire();
  const clientA = apolloClient(a.url, { token: TOKEN, wire: wireA, get: true });
  const read = await clientA.query({
    query: query('GetByGet'),
    variables: { c, s },
    fetchPolicy: 'no-cache',
  });
  const written = await clientA.mutate({ mutation: mutation('ApolloUpdate'), variables: update });
  expect(read.data).toMatchObject({ deviceConfigurationUserStatus: { id: s } });
  expect(written.data).toMatchObject({
    updateDeviceConfigurationUserStatus: { userStatus: { id: s } },
  });
  expect(wireA.calls).toEqual([
    { method: 'GET', status: 200, sent: 'hash' },
    { method: 'POST', status: 200, sent: 'hash' },
  ]);
}, 20_000);

it("urql's persisted exchange: registers through B (GET for queries, POST for mutations), hits on A", async () => {
  const doc = query('UrqlGet');
  const before = await stored();
  const wireB = createWire();
  const clientB = urqlClient(b.url, { token: TOKEN, wire: wireB });
  const first = await clientB.query(doc, { c, s }).toPromise();
  expect(first.error).toBeUndefined();
  const changed = await clientB.mutation(mutation('UrqlUpdate'), update).toPromise();
  expect(changed.error).toBeUndefined();
  expect(wireB.calls).toEqual([
    { method: 'GET', status: 200, sent: 'hash' },
    { method: 'GET', status: 200, sent: 'document+hash' },
    { method: 'POST', status: 200, sent: 'hash' },
    { method: 'POST', status: 200, sent: 'document+hash' },
  ]);
  await waitFor(async () => (await stored()) === before + 2);

  const wireA = createWire();
  const clientA = urqlClient(a.url, { token: TOKEN, wire: wireA });
  const hit = await clientA.query(doc, { c, s }).toPromise();
  const hitMutation = await clientA.mutation(mutation('UrqlUpdate'), update).toPromise();
  expect([hit.error, hitMutation.error]).toEqual([undefined, undefined]);
  expect(hit.data).toEqual(first.data);
  expect(wireA.calls).toEqual([
    { method: 'GET', status: 200, sent: 'hash' },
    { method: 'POST', status: 200, sent: 'hash' },
  ]);
}, 20_000);

it('Redis killed: a hash only Redis knew is "not found", the client resends the document, no error', async () => {
  const doc = query('BeforeTheKill');
  const before = await stored();
  const wireA = createWire();
  await apolloClient(a.url, { token: TOKEN, wire: wireA }).query({
    query: doc,
    variables: { c, s },
    fetchPolicy: 'no-cache',
  });
  await waitFor(async () => (await stored()) === before + 1);
  await redis.kill();

  const wireB = createWire();
  const result = await apolloClient(b.url, { token: TOKEN, wire: wireB }).query({
    query: doc,
    variables: { c, s },
    fetchPolicy: 'no-cache',
  });
  expect(result.data).toMatchObject({ deviceConfigurationUserStatus: { id: s } });
  expect(wireB.calls).toEqual([
    { method: 'POST', status: 200, sent: 'hash' },
    { method: 'POST', status: 200, sent: 'document+hash' },
  ]);
  expect(await metrics(b)).toMatch(
    /^intune_gateway_apq_store_errors_total\{operation="get"\} [1-9]/m,
  );

  // A registered it itself: its in-process cache still answers the hash alone.
  const again = createWire();
  await apolloClient(a.url, { token: TOKEN, wire: again }).query({
    query: doc,
    variables: { c, s },
    fetchPolicy: 'no-cache',
  });
  expect(again.calls).toEqual([{ method: 'POST', status: 200, sent: 'hash' }]);
  const warnings = b.logs.filter((line) =>
    String(line.msg).startsWith('Redis for automatic persisted queries failed'),
  );
  expect(warnings).toHaveLength(1);
}, 20_000);
