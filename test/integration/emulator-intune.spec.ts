import { startEmulator } from '../../emulator';
import type { Emulator } from '../../emulator';
import { configurationId, userStatusId } from '../../emulator/store';
import { graphCall } from '../helpers/graph-call';
import type { GraphBatchBody, GraphErrorBody, GraphPage } from '../helpers/graph-call';

const AUTH = { authorization: 'Bearer intune-mode-token-0001' };
const c = configurationId('windows10-general');
const C = c.toUpperCase();
const s0 = userStatusId('windows10-general', 0);
const statuses = `/deviceManagement/deviceConfigurations/${c}/userStatuses`;

let emulator: Emulator;
const graph = <Body = unknown>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) =>
  graphCall<Body>(method, path.startsWith('http') ? path : `${emulator.baseUrl}${path}`, {
    body,
    headers: { ...AUTH, ...headers },
  });

/** The inner JSON Intune puts in `error.message`. */
const innerMessage = (body: { error: { message: string } }) =>
  (JSON.parse(body.error.message) as { Message: string }).Message;

beforeAll(async () => {
  emulator = await startEmulator({ mode: 'intune' });
});
beforeEach(() => emulator.reset());
afterAll(() => emulator.close());

/** Seven statuses under the configuration: the three seeded ones and four more. */
function stageSeven(): string[] {
  for (let index = 0; index < 4; index += 1)
    emulator.store.put(c, { id: `extra-${index}`, status: 'compliant', devicesCount: index });
  return [...emulator.store.statusesOf(c).keys()];
}

describe('Intune mode: lists', () => {
  it('ignores $top, pages at its own size and writes Intune-style nextLinks', async () => {
    const all = stageSeven();
    const first = await graph<GraphPage<{ id: string }>>('GET', `${statuses}?$top=2`);
    expect(first.status).toBe(200);
    expect(first.body.value).toHaveLength(3);
    expect(first.body['@odata.nextLink']).toBe(
      `${emulator.baseUrl}/deviceManagement/deviceConfigurations('${C}')/userStatuses?$skiptoken=skipCount%3d3`,
    );
    const pages = [first.body.value.length];
    const seen = first.body.value.map((item) => item.id);
    let next = first.body['@odata.nextLink'];
    while (next) {
      const page = await graph<GraphPage<{ id: string }>>('GET', next);
      expect(page.status).toBe(200);
      pages.push(page.body.value.length);
      seen.push(...page.body.value.map((item) => item.id));
      next = page.body['@odata.nextLink'];
    }
    expect(pages).toEqual([3, 3, 1]);
    expect(seen).toEqual(all);
  });

  it('keeps only its token in the link: $select must be sent again', async () => {
    stageSeven();
    const first = await graph<GraphPage>('GET', `${statuses}?$select=status`);
    expect(Object.keys(first.body.value[0]!).sort()).toEqual(['id', 'status']);
    const next = first.body['@odata.nextLink']!;
    const bare = await graph<GraphPage>('GET', next);
    expect(bare.body.value[0]).toHaveProperty('devicesCount');
    const reselected = await graph<GraphPage>('GET', `${next}&$select=status`);
    expect(Object.keys(reselected.body.value[0]!).sort()).toEqual(['id', 'status']);
  });

  it('honours the configured page size, $skip and the plain skip token', async () => {
    stageSeven();
    emulator.configure({ pageSize: 5 });
    expect((await graph<GraphPage>('GET', statuses)).body.value).toHaveLength(5);
    expect((await graph<GraphPage>('GET', `${statuses}?$skip=4`)).body.value).toHaveLength(3);
    expect((await graph<GraphPage>('GET', `${statuses}?$skiptoken=6`)).body.value).toHaveLength(1);
  });

  it('ignores $filter: every status comes back', async () => {
    const page = await graph<GraphPage<{ status: string }>>(
      'GET',
      `${statuses}?$filter=status eq 'compliant'`,
    );
    expect(page.body.value.map((item) => item.status)).toEqual([
      'compliant',
      'nonCompliant',
      'notApplicable',
    ]);
  });

  it('with filter "reject", refuses $filter with a wrapped 400 (a gateway must fall back)', async () => {
    emulator.configure({ filter: 'reject' });
    const refused = await graph<GraphErrorBody>('GET', `${statuses}?$filter=status eq 'compliant'`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('InternalError');
    expect(innerMessage(refused.body)).toContain("Query option 'Filter' is not allowed.");
    expect((await graph('GET', statuses)).status).toBe(200);
  });
});

describe('Intune mode: keys as Intune and Graph spell them', () => {
  it.each([
    [
      'key in parentheses, upper case',
      `/deviceManagement/deviceConfigurations('${C}')/userStatuses('${s0.toUpperCase()}')`,
    ],
    [
      'upper-case GUIDs as segments',
      `/deviceManagement/deviceConfigurations/${C}/userStatuses/${s0.toUpperCase()}`,
    ],
    [
      'percent-encoded quotes',
      `/deviceManagement/deviceConfigurations(%27${c}%27)/userStatuses/${s0}`,
    ],
  ])('%s: GET and PATCH reach the same status', async (_name, path) => {
    const patched = await graph('PATCH', path, { status: 'error' });
    expect(patched.status).toBe(204);
    expect(patched.body).toBeUndefined();
    const read = await graph('GET', path);
    expect(read.body).toMatchObject({ id: s0, status: 'error' });
  });

  it('friendly mode accepts them too, and answers PATCH with the object', async () => {
    emulator.configure({ mode: 'friendly' });
    const path = `/deviceManagement/deviceConfigurations('${C}')/userStatuses('${s0.toUpperCase()}')`;
    const patched = await graph('PATCH', path, { status: 'error' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: s0, status: 'error' });
  });
});

describe('Intune mode: errors', () => {
  it('wraps a service error: JSON in the message, a code that disagrees with the status', async () => {
    const missing = await graph<GraphErrorBody>('GET', `${statuses}/nobody`, undefined, {
      'client-request-id': 'caller-id-1',
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('InternalError');
    expect(missing.body.error.message).toMatch(/^\{\r\n {2}"_version": 3,/);
    expect(JSON.parse(missing.body.error.message)).toMatchObject({
      _version: 3,
      CustomApiErrorPhrase: '',
      RetryAfter: null,
    });
    expect(innerMessage(missing.body)).toBe(
      `deviceConfigurationUserStatus 'nobody' was not found. - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: caller-id-1 - Url: https://fef.msua06.manage.microsoft.com/DeviceConfiguration_2502/StatelessDeviceConfigurationFEService/deviceManagement/deviceConfigurations('${C}')/userStatuses/nobody?api-version=5025-02-06`,
    );
    expect(missing.body.error.innerError).toEqual({
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/) as unknown,
      'request-id': missing.headers.get('request-id'),
      'client-request-id': 'caller-id-1',
    });
  });

  it('wraps a 400 for a bad write as InternalError', async () => {
    const bad = await graph<GraphErrorBody>('PATCH', `${statuses}/${s0}`, { status: 'sideways' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('InternalError');
    expect(innerMessage(bad.body)).toMatch(/^Cannot convert the literal 'sideways'/);
  });

  it("leaves Graph's own errors plain (authentication, routing)", async () => {
    const anonymous = await graphCall<GraphErrorBody>('GET', `${emulator.baseUrl}${statuses}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toMatchObject({
      code: 'InvalidAuthenticationToken',
      message: 'Access token is empty.',
    });
  });

  it.each([
    ['ROOT_CERTIFICATE (uncast)', 'ios-scep', '/rootCertificate', 400],
    [
      'IOS_SCEP_ROOT_CERTIFICATE',
      'ios-scep',
      '/microsoft.graph.iosScepCertificateProfile/rootCertificate',
      200,
    ],
    [
      'MACOS_SCEP_ROOT_CERTIFICATE',
      'macos-scep',
      '/microsoft.graph.macOSScepCertificateProfile/rootCertificate',
      200,
    ],
    [
      'WINDOWS10_VPN_IDENTITY_CERTIFICATE',
      'windows10-vpn',
      '/microsoft.graph.windows10VpnConfiguration/identityCertificate',
      200,
    ],
    [
      'WINDOWS_PHONE81_VPN_IDENTITY_CERTIFICATE',
      'wp81-vpn',
      '/microsoft.graph.windowsPhone81VpnConfiguration/identityCertificate',
      200,
    ],
    ['uncast identityCertificate', 'windows10-vpn', '/identityCertificate', 400],
    [
      'a cast that does not declare the link',
      'ios-scep',
      '/microsoft.graph.iosScepCertificateProfile/identityCertificate',
      400,
    ],
  ])('%s: %s%s → %i', async (_name, key, segment, status) => {
    const answer = await graph<GraphErrorBody>(
      'GET',
      `/deviceManagement/deviceConfigurations/${configurationId(key)}${segment}/userStatuses`,
    );
    expect(answer.status).toBe(status);
    if (status === 400)
      expect(answer.body.error).toMatchObject({
        code: 'BadRequest',
        message: `Resource not found for the segment '${segment.split('/').pop()}'.`,
      });
  });

  it('friendly mode keeps serving the uncast rootCertificate path', async () => {
    emulator.configure({ mode: 'friendly' });
    const root = await graph<GraphPage>(
      'GET',
      `/deviceManagement/deviceConfigurations/${configurationId('ios-scep')}/rootCertificate/userStatuses`,
    );
    expect(root.status).toBe(200);
    expect(root.body.value).toHaveLength(3);
  });
});

describe('Intune mode: faults', () => {
  it('a 429 fault comes without Retry-After, wrapped', async () => {
    emulator.faults.add({ method: 'GET', status: 429, times: 1 });
    const throttled = await graph<GraphErrorBody>('GET', `${statuses}/${s0}`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBeNull();
    expect(throttled.body.error.code).toBe('TooManyRequests');
    expect(innerMessage(throttled.body)).toMatch(/^Emulated fault: HTTP 429\. - Operation ID/);
    expect((await graph('GET', `${statuses}/${s0}`)).status).toBe(200);
  });

  it.each([
    ['intune', 503, 'ServiceUnavailable', true],
    ['friendly', 503, 'ServiceUnavailable', false],
    ['intune', 500, 'InternalError', true],
    ['friendly', 500, 'InternalServerError', false],
  ] as const)('%s mode, fault %i → %s, wrapped %s', async (mode, status, code, wrapped) => {
    emulator.configure({ mode });
    emulator.faults.add({ status, retryAfter: '1', times: 1 });
    const failed = await graph<GraphErrorBody>('GET', `${statuses}/${s0}`);
    expect(failed.status).toBe(status);
    expect(failed.headers.get('retry-after')).toBe('1');
    expect(failed.body.error.code).toBe(code);
    expect(failed.body.error.message.startsWith('{')).toBe(wrapped);
  });
});

describe('Intune mode: $batch', () => {
  const batch = (requests: unknown[], headers: Record<string, string> = {}) =>
    graph<GraphBatchBody<GraphErrorBody>>('POST', '/$batch', { requests }, headers);

  it('wraps item errors and gives each item its own request id', async () => {
    emulator.faults.add({ method: 'GET', path: '/throttled', status: 429, times: 1 });
    const answer = await batch([
      {
        id: '1',
        method: 'GET',
        url: `${statuses}/nobody`,
        headers: { 'client-request-id': 'item-1' },
      },
      { id: '2', method: 'GET', url: `${statuses}/other` },
      {
        id: '3',
        method: 'PATCH',
        url: `${statuses}/${s0}`,
        headers: { 'Content-Type': 'application/json' },
        body: { status: 'error' },
      },
      { id: '4', method: 'GET', url: `${statuses}/throttled` },
    ]);
    expect(answer.status).toBe(200);
    const byId = Object.fromEntries(answer.body.responses.map((item) => [item.id, item]));
    expect([byId['1']!.status, byId['2']!.status, byId['3']!.status, byId['4']!.status]).toEqual([
      404, 404, 204, 429,
    ]);
    expect(byId['3']!.body).toBeUndefined();
    expect(byId['4']!.headers['Retry-After']).toBeUndefined();
    const envelopeId = answer.headers.get('request-id');
    const errorOf = (id: string) => byId[id]!.body!.error;
    const [one, two, four] = [errorOf('1'), errorOf('2'), errorOf('4')];
    expect(one.code).toBe('InternalError');
    expect(innerMessage({ error: one })).toContain('Activity ID: item-1');
    expect(one.innerError['client-request-id']).toBe('item-1');
    expect(four.code).toBe('TooManyRequests');
    const itemIds = [one, two, four].map((error) => error.innerError['request-id']);
    expect(new Set([...itemIds, envelopeId]).size).toBe(4);
    expect(two.innerError['client-request-id']).toBe(two.innerError['request-id']);
  });
});

describe('friendly mode: $batch', () => {
  it('plain item errors, each with its own request id', async () => {
    emulator.configure({ mode: 'friendly' });
    const answer = await graph<GraphBatchBody<GraphErrorBody>>('POST', '/$batch', {
      requests: [
        { id: 'a', method: 'GET', url: `${statuses}/nobody` },
        { id: 'b', method: 'GET', url: `${statuses}/other` },
      ],
    });
    const errors = answer.body.responses.map((item) => item.body!.error);
    expect(errors.map((error) => error.code)).toEqual(['ResourceNotFound', 'ResourceNotFound']);
    const ids = errors.map((error) => error.innerError['request-id']);
    expect(new Set([...ids, answer.headers.get('request-id')]).size).toBe(3);
  });
});
