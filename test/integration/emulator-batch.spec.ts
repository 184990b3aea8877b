import { startEmulator } from '../../emulator';
import type { Emulator, EmulatorMode } from '../../emulator';
import { configurationId, userStatusId } from '../../emulator/store';
import { graphCall } from '../helpers/graph-call';
import type { GraphBatchBody, GraphBatchItem, GraphErrorBody } from '../helpers/graph-call';

/**
 * Issue 23, point 6: `$batch` honours `dependsOn` as Graph documents it
 * (https://learn.microsoft.com/graph/json-batching#sequencing-requests-with-the-dependson-property): an item runs
 * after the items it depends on, and when one of them failed it is not run and answers 424 Failed Dependency.
 */
const AUTH = { authorization: 'Bearer batch-depends-token-0001' };
const c = configurationId('windows10-general');
const statuses = `/deviceManagement/deviceConfigurations/${c}/userStatuses`;
const statusPath = (index: number) => `${statuses}/${userStatusId('windows10-general', index)}`;
const [s0, s1, s2] = [statusPath(0), statusPath(1), statusPath(2)];
const JSON_HEADERS = { 'Content-Type': 'application/json' };
const write = (id: string, url: string, status: string, dependsOn?: string[]) => ({
  id,
  method: 'PATCH',
  url,
  headers: JSON_HEADERS,
  body: { status },
  ...(dependsOn ? { dependsOn } : {}),
});
const read = (id: string, url: string, dependsOn?: string[]) => ({
  id,
  method: 'GET',
  url,
  ...(dependsOn ? { dependsOn } : {}),
});

let emulator: Emulator;
const batch = (requests: unknown[]) =>
  graphCall<GraphBatchBody<GraphErrorBody & { status?: string }>>(
    'POST',
    `${emulator.baseUrl}/$batch`,
    { body: { requests }, headers: AUTH },
  );
const byId = <Item extends GraphBatchItem>(items: Item[]) =>
  Object.fromEntries(items.map((item) => [item.id, item]));
const storedStatus = (url: string) =>
  emulator.store.statusesOf(c).get(url.slice(url.lastIndexOf('/') + 1))?.status;

beforeAll(async () => {
  emulator = await startEmulator();
});
beforeEach(() => emulator.reset());
afterAll(() => emulator.close());

describe.each<[EmulatorMode]>([['friendly'], ['intune']])('$batch dependsOn in %s mode', (mode) => {
  beforeEach(() => emulator.configure({ mode }));

  it('runs each item after the items it depends on, whatever its place in the body', async () => {
    const answer = await batch([
      read('3', s0, ['2']),
      write('2', s0, 'compliant', ['1']),
      write('1', s0, 'error'),
    ]);
    expect(answer.status).toBe(200);
    expect(byId(answer.body.responses)['3']!.body).toMatchObject({ status: 'compliant' });
    expect(emulator.calls.map((call) => call.method)).toEqual(['PATCH', 'PATCH', 'GET']);
    expect(storedStatus(s0)).toBe('compliant');
  });

  it('answers 424 for the dependents of a failed item, and theirs, without running them', async () => {
    const answer = await batch([
      write('1', `${statuses}/nobody`, 'error'),
      write('2', s1, 'error', ['1']),
      read('3', s1, ['2']),
      read('4', s2),
    ]);
    const items = byId(answer.body.responses);
    expect(['1', '2', '3', '4'].map((id) => items[id]!.status)).toEqual([404, 424, 424, 200]);
    const [two, three] = [items['2']!.body!.error, items['3']!.body!.error];
    expect(two.code).toBe('FailedDependency');
    expect(two.message).toBe("The request depends on request '1', which failed with status 404.");
    expect(three.message).toBe("The request depends on request '2', which failed with status 424.");
    const ids = [two, three].map((error) => error.innerError['request-id']);
    expect(new Set([...ids, answer.headers.get('request-id')]).size).toBe(3);
    // Never run: neither reached Intune (the call log) nor changed the status.
    expect(emulator.calls.map((call) => call.path)).toEqual([`${statuses}/nobody`, s2]);
    expect(storedStatus(s1)).not.toBe('error');
  });
});

describe('$batch dependsOn: what counts as a failed dependency', () => {
  it.each<[string, () => void, number]>([
    [
      'a 429 for lack of quota',
      () => emulator.configure({ quotas: { appWrites: 1, windowMs: 60_000 } }),
      429,
    ],
    [
      'a fault switch',
      () => emulator.faults.add({ method: 'PATCH', path: s0, status: 503, times: 1 }),
      503,
    ],
  ])('%s fails its dependents with 424', async (_name, arrange, status) => {
    arrange();
    const answer = await batch([
      write('first', s1, 'error'),
      write('second', s0, 'error', ['first']),
      read('third', s2, ['second']),
    ]);
    const items = byId(answer.body.responses);
    expect(['first', 'second', 'third'].map((id) => items[id]!.status)).toEqual([200, status, 424]);
  });

  it('matches ids whatever their case, as Graph does', async () => {
    const answer = await batch([write('First', s0, 'error'), read('second', s0, ['FIRST'])]);
    expect(answer.body.responses.map((item) => item.status).sort()).toEqual([200, 200]);
  });
});

describe('$batch dependsOn: malformed batches', () => {
  it.each<[string, unknown[], string]>([
    [
      'dependsOn naming an id no request has',
      [read('1', s0), read('2', s1, ['3'])],
      "Batch request '2' depends on '3', which is not another request of the batch.",
    ],
    [
      'an item depending on itself',
      [read('1', s0, ['1'])],
      "Batch request '1' depends on '1', which is not another request of the batch.",
    ],
    [
      'dependsOn forming a cycle',
      [read('1', s0, ['2']), read('2', s1, ['1']), read('3', s2)],
      "The dependsOn of batch requests '1', '2' form a cycle.",
    ],
    [
      'dependsOn not an array',
      [read('1', s0), { ...read('2', s1), dependsOn: '1' }],
      "Batch request '2' has a dependsOn that is not an array of request ids.",
    ],
    [
      'dependsOn holding a number',
      [read('1', s0), { ...read('2', s1), dependsOn: [1] }],
      "Batch request '2' has a dependsOn that is not an array of request ids.",
    ],
    [
      'two ids that differ only in case',
      [read('a', s0), read('A', s1)],
      "Batch request id 'A' is used twice.",
    ],
  ])('%s: 400, and no request runs', async (_name, requests, message) => {
    const answer = await batch(requests);
    expect(answer.status).toBe(400);
    expect((answer.body as unknown as GraphErrorBody).error.message).toBe(message);
    expect(emulator.calls).toHaveLength(0);
  });
});
