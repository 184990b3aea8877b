import { request } from 'node:http';
import { createEmulatorToken } from '../../emulator/auth';
import { configurationId, userStatusId } from '../../emulator/store';
import { GET_QUERY, UPDATE_MUTATION, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
const update = { input: { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' } };

/** A POST with raw header lines, repeated ones included (fetch would join them into one). */
function postWithHeaders(url: string, headers: ReadonlyArray<[string, string]>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const call = request(url, { method: 'POST' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    call.on('error', reject);
    for (const [name, value] of headers) call.appendHeader(name, value);
    call.end(JSON.stringify({ query: UPDATE_MUTATION, variables: update }));
  });
}

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

describe('the caller bearer token', () => {
  it.each([
    ['absent', {}],
    ['empty', { authorization: '' }],
    ['a bare scheme', { authorization: 'Bearer' }],
    ['a scheme with a blank token', { authorization: 'Bearer    ' }],
    ['Basic', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a token without a scheme', { authorization: 'eyJ0eXAiOiJKV1QifQ.e30.sig' }],
    ['two words', { authorization: 'Bearer abc def' }],
  ])('%s → UNAUTHENTICATED and nothing sent', async (_name, headers) => {
    const { status, body } = await harness.gateway.gql(UPDATE_MUTATION, update, headers);
    expect(status).toBe(200);
    expect(body.data).toEqual({ updateDeviceConfigurationUserStatus: null });
    expect(body.errors?.[0]).toMatchObject({
      path: ['updateDeviceConfigurationUserStatus'],
      extensions: { code: 'UNAUTHENTICATED' },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('sent twice (Node would keep the first, a proxy may have read the last) → UNAUTHENTICATED and nothing sent', async () => {
    const { status, body } = await postWithHeaders(harness.gateway.url, [
      ['content-type', 'application/json'],
      ['authorization', 'Bearer first-token-0123456789'],
      ['authorization', 'Bearer second-token-0123456789'],
    ]);
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({
      data: { updateDeviceConfigurationUserStatus: null },
      errors: [{ extensions: { code: 'UNAUTHENTICATED' } }],
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('is forwarded unchanged, scheme spelling included', async () => {
    await harness.gateway.gql(
      GET_QUERY,
      { c, s },
      { authorization: 'bearer Opaque.Token-123_~+/==' },
    );
    expect(harness.emulator.requests[0]?.headers.authorization).toBe(
      'bearer Opaque.Token-123_~+/==',
    );
  });

  it('introspection and __typename work without a token', async () => {
    const typename = await harness.gateway.gql('{ __typename }');
    expect(typename.body).toEqual({ data: { __typename: 'Query' } });
    const schema = await harness.gateway.gql(
      '{ __type(name: "UserStatusPath") { enumValues { name description } } }',
    );
    expect(schema.body.errors).toBeUndefined();
    const values = (
      schema.body.data?.__type as { enumValues: Array<{ name: string; description: string }> }
    ).enumValues;
    expect(values.map((value) => value.name)).toHaveLength(6);
    expect(values.every((value) => value.description.includes('/userStatuses/{s}'))).toBe(true);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('a token without the write scope gets Graph 403 as FORBIDDEN', async () => {
    const readOnly = createEmulatorToken(['DeviceManagementConfiguration.Read.All']);
    const write = await harness.gateway.gql(UPDATE_MUTATION, update, {
      authorization: `Bearer ${readOnly}`,
    });
    expect(write.body.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      graph: { status: 403, code: 'Authorization_RequestDenied' },
    });
    const read = await harness.gateway.gql(
      GET_QUERY,
      { c, s },
      { authorization: `Bearer ${readOnly}` },
    );
    expect(read.body.errors).toBeUndefined();
  });

  it('an expired token gets Graph 401 as UNAUTHENTICATED', async () => {
    const expired = createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All'], {
      exp: 1_600_000_000,
    });
    const { body } = await harness.gateway.gql(UPDATE_MUTATION, update, {
      authorization: `Bearer ${expired}`,
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      graph: { status: 401, code: 'InvalidAuthenticationToken' },
    });
  });

  it('50 concurrent calls with different tokens each reach Graph with their own', async () => {
    const calls = Array.from({ length: 50 }, (_, index) => {
      const token = `token-${index}-${'x'.repeat(index)}`;
      const clientRequestId = `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
      return harness.gateway
        .gql(
          UPDATE_MUTATION,
          { input: { ...update.input, devicesCount: index } },
          { authorization: `Bearer ${token}`, 'client-request-id': clientRequestId },
        )
        .then((response) => ({ index, token, clientRequestId, response }));
    });
    const results = await Promise.all(calls);

    expect(harness.emulator.requests).toHaveLength(50);
    for (const { index, token, clientRequestId, response } of results) {
      expect(response.body.data?.updateDeviceConfigurationUserStatus).toMatchObject({
        clientRequestId,
      });
      const received = harness.emulator.requests.find(
        (r) => r.headers['client-request-id'] === clientRequestId,
      );
      expect(received?.headers.authorization).toBe(`Bearer ${token}`);
      expect(JSON.parse(received?.body ?? '')).toEqual({
        status: 'compliant',
        devicesCount: index,
      });
    }
  });

  it('never writes a token to the logs', async () => {
    const secret = 'secret-token-that-must-not-be-logged';
    await harness.gateway.gql(UPDATE_MUTATION, update, { authorization: `Bearer ${secret}` });
    harness.emulator.faults.add({ status: 500 });
    await harness.gateway.gql(UPDATE_MUTATION, update, { authorization: `Bearer ${secret}` });
    expect(harness.gateway.logs.length).toBeGreaterThan(0);
    expect(harness.gateway.logs.join('\n')).not.toContain(secret);
  });
});
