import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { configurationId, startEmulator, userStatusId } from '../../emulator';
import type { Emulator } from '../../emulator';
import { AUTH, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

/**
 * The emulator is not kinder than Graph: asked for gzip, it compresses its JSON answers (docs/emulator.md,
 * "Compression"), and the gateway, which asks for gzip, reads them end to end.
 */
const c = configurationId('windows10-general');
const statuses = `/beta/deviceManagement/deviceConfigurations/${c}/userStatuses`;

/** Twenty statuses more than the seed's three: a list page well over the 1 KiB gzip threshold. */
function stageTwenty(emulator: Emulator): void {
  for (let index = 0; index < 20; index += 1)
    emulator.store.put(c, {
      id: `user-${String(index).padStart(2, '0')}`,
      status: 'compliant',
      userDisplayName: `User ${index}`,
      devicesCount: index,
    });
}

interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The bytes as they crossed the wire (node:http does not inflate). */
  readonly bytes: Buffer;
}

function raw(
  emulator: Emulator,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${emulator.origin}${path}`,
      { method, headers: { ...AUTH, ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            bytes: Buffer.concat(chunks),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('the emulator compresses when asked', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ quotas: { enabled: false } });
  });
  beforeEach(() => {
    emulator.reset();
    stageTwenty(emulator);
  });
  afterAll(() => emulator.close());

  it('gzips a list for a client that sends Accept-Encoding: gzip, with the compressed length', async () => {
    const answer = await raw(emulator, 'GET', statuses, { 'Accept-Encoding': 'gzip, deflate' });

    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({ 'content-encoding': 'gzip', vary: 'Accept-Encoding' });
    expect(Number(answer.headers['content-length'])).toBe(answer.bytes.length);
    const page = JSON.parse(gunzipSync(answer.bytes).toString('utf8')) as { value: unknown[] };
    expect(page.value).toHaveLength(23);
    expect(answer.bytes.length).toBeLessThan(JSON.stringify(page).length / 3);
    expect(emulator.requests.map((request) => request.answerEncoding)).toEqual(['gzip']);
  });

  it.each([
    ['no Accept-Encoding', {}],
    ['gzip refused (q=0)', { 'Accept-Encoding': 'br, gzip;q=0' }],
    ['identity only', { 'Accept-Encoding': 'identity' }],
  ])('answers plain JSON with %s', async (_name, headers) => {
    const answer = await raw(emulator, 'GET', statuses, headers);

    expect(answer.status).toBe(200);
    expect(answer.headers).not.toHaveProperty('content-encoding');
    expect((JSON.parse(answer.bytes.toString('utf8')) as { value: unknown[] }).value).toHaveLength(
      23,
    );
    expect(emulator.requests.map((request) => request.answerEncoding)).toEqual([undefined]);
  });

  it('keeps small answers and 204s uncompressed, even when asked', async () => {
    const item = `${statuses}/${userStatusId('windows10-general', 0)}`;
    const small = await raw(emulator, 'GET', item, { 'Accept-Encoding': 'gzip' });
    const deleted = await raw(emulator, 'DELETE', item, { 'Accept-Encoding': 'gzip' });

    expect(small.status).toBe(200);
    expect(small.headers).not.toHaveProperty('content-encoding');
    expect(JSON.parse(small.bytes.toString('utf8'))).toMatchObject({
      id: userStatusId('windows10-general', 0),
    });
    expect(deleted.status).toBe(204);
    expect(deleted.headers).not.toHaveProperty('content-encoding');
    expect(deleted.bytes.length).toBe(0);
  });

  it('gzips a $batch answer too', async () => {
    const requests = Array.from({ length: 8 }, (_, index) => ({
      id: String(index),
      method: 'GET',
      url: `${statuses.slice('/beta'.length)}/user-0${index}`,
    }));
    const answer = await raw(
      emulator,
      'POST',
      '/beta/$batch',
      { 'Accept-Encoding': 'gzip', 'Content-Type': 'application/json' },
      JSON.stringify({ requests }),
    );

    expect(answer.headers['content-encoding']).toBe('gzip');
    const { responses } = JSON.parse(gunzipSync(answer.bytes).toString('utf8')) as {
      responses: Array<{ status: number }>;
    };
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(200));
  });
});

describe('the gateway reads compressed answers end to end', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ emulator: { quotas: { enabled: false } } });
  });
  beforeEach(() => {
    harness.emulator.reset();
    stageTwenty(harness.emulator);
  });
  afterAll(() => harness.close());

  it('a list page, sent gzipped by the emulator, answers exactly', async () => {
    const { body } = await harness.gateway.gql(
      `query($c: ID!) { deviceConfigurationUserStatuses(deviceConfigurationId: $c, first: 50) {
        nodes { id status devicesCount } } }`,
      { c },
      AUTH,
    );

    expect(body.errors).toBeUndefined();
    const { nodes } = body.data?.deviceConfigurationUserStatuses as {
      nodes: Array<{ id: string; status: string; devicesCount: number }>;
    };
    expect(nodes).toHaveLength(23);
    expect(nodes.slice(-2)).toEqual([
      { id: 'user-18', status: 'COMPLIANT', devicesCount: 18 },
      { id: 'user-19', status: 'COMPLIANT', devicesCount: 19 },
    ]);
    expect(
      harness.emulator.requests.map((request) => [
        request.headers['accept-encoding'],
        request.answerEncoding,
      ]),
    ).toEqual([['gzip', 'gzip']]);
  });

  it('reads batched into one $batch, answered gzipped', async () => {
    const fields = Array.from(
      { length: 12 },
      (_, index) =>
        `r${index}: deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "user-${String(index).padStart(2, '0')}") { id userDisplayName }`,
    );
    const { body } = await harness.gateway.gql(`{ ${fields.join('\n')} }`, undefined, AUTH);

    expect(body.errors).toBeUndefined();
    expect(body.data?.r11).toEqual({ id: 'user-11', userDisplayName: 'User 11' });
    expect(
      harness.emulator.requests.map((request) => [
        request.url,
        request.headers['accept-encoding'],
        request.answerEncoding,
      ]),
    ).toEqual([['/beta/$batch', 'gzip', 'gzip']]);
  });
});
