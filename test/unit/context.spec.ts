import {
  authorizationOf,
  bearerAuthorization,
  clientRequestIdFrom,
} from '../../src/graphql/context';

describe('bearerAuthorization', () => {
  it.each([
    'Bearer abc',
    'bearer abc',
    'BEARER abc',
    'Bearer eyJ0eXAiOiJKV1QifQ.eyJzY3AiOiJ4In0.c2ln',
    'Bearer a-b_c.d~e+f/g==',
  ])('keeps %j unchanged', (header) => {
    expect(bearerAuthorization(header)).toBe(header);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['the scheme alone', 'Bearer'],
    ['blank token', 'Bearer  '],
    ['Basic', 'Basic dXNlcjpwYXNz'],
    ['no scheme', 'abc'],
    ['CR/LF inside', 'Bearer abc\r\nX-Injected: 1'],
    ['LF inside', 'Bearer abc\ndef'],
    ['two tokens', 'Bearer abc def'],
    ['a repeated header', ['Bearer a', 'Bearer b']],
    ['padding in the middle', 'Bearer ab=c'],
  ])('%s → null', (_name, header) => {
    expect(bearerAuthorization(header)).toBeNull();
  });
});

describe('clientRequestIdFrom', () => {
  const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  it('keeps a GUID', () => {
    expect(clientRequestIdFrom('9F4C3A1E-2B7D-4C8E-A1F0-3D5B6C7E8F90')).toBe(
      '9F4C3A1E-2B7D-4C8E-A1F0-3D5B6C7E8F90',
    );
  });
  it.each([undefined, '', 'abc', '9f4c3a1e-2b7d-4c8e-a1f0-3d5b6c7e8f90\r\nx', ['a', 'b']])(
    'replaces %j with a fresh GUID',
    (header) => {
      expect(clientRequestIdFrom(header)).toMatch(guid);
    },
  );
});

describe('authorizationOf: one Authorization header, or both when it came twice', () => {
  const headers = { authorization: 'Bearer a' };
  it.each([
    ['one header', ['Host', 'x', 'Authorization', 'Bearer a'], 'Bearer a'],
    ['no raw headers at hand', undefined, 'Bearer a'],
    [
      'two, in any spelling',
      ['authorization', 'Bearer a', 'AUTHORIZATION', 'Bearer b'],
      ['Bearer a', 'Bearer b'],
    ],
    [
      'two, apart',
      ['Authorization', 'Bearer a', 'Accept', '*/*', 'authorization', 'Bearer a'],
      ['Bearer a', 'Bearer a'],
    ],
    [
      'a longer name that starts the same',
      ['Authorization', 'Bearer a', 'Authorization-X', 'b'],
      'Bearer a',
    ],
  ])('%s', (_name, rawHeaders, expected) => {
    expect(authorizationOf(rawHeaders ? { headers, rawHeaders } : { headers })).toEqual(expected);
  });

  it('none', () => {
    expect(authorizationOf({ headers: {}, rawHeaders: ['Host', 'x'] })).toBeUndefined();
  });
});
