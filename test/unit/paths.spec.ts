import { GraphInputError } from '../../src/graph/errors';
import {
  MAX_ID_LENGTH,
  PATH_VARIANTS,
  idProblem,
  isPathVariant,
  userStatusPath,
  userStatusesCollectionPath,
} from '../../src/graph/user-statuses/paths';

describe('userStatusPath', () => {
  it.each([
    ['DEVICE_CONFIGURATION', '/deviceManagement/deviceConfigurations/c1/userStatuses/s1'],
    [
      'ROOT_CERTIFICATE',
      '/deviceManagement/deviceConfigurations/c1/rootCertificate/userStatuses/s1',
    ],
    [
      'IOS_SCEP_ROOT_CERTIFICATE',
      '/deviceManagement/deviceConfigurations/c1/microsoft.graph.iosScepCertificateProfile/rootCertificate/userStatuses/s1',
    ],
    [
      'MACOS_SCEP_ROOT_CERTIFICATE',
      '/deviceManagement/deviceConfigurations/c1/microsoft.graph.macOSScepCertificateProfile/rootCertificate/userStatuses/s1',
    ],
    [
      'WINDOWS10_VPN_IDENTITY_CERTIFICATE',
      '/deviceManagement/deviceConfigurations/c1/microsoft.graph.windows10VpnConfiguration/identityCertificate/userStatuses/s1',
    ],
    [
      'WINDOWS_PHONE81_VPN_IDENTITY_CERTIFICATE',
      '/deviceManagement/deviceConfigurations/c1/microsoft.graph.windowsPhone81VpnConfiguration/identityCertificate/userStatuses/s1',
    ],
  ] as const)('%s → %s', (path, expected) => {
    expect(userStatusPath({ path, deviceConfigurationId: 'c1', userStatusId: 's1' })).toEqual({
      path: expected,
      variant: path,
      target: 'item',
    });
    expect(expected).not.toContain('//');
  });

  it('covers every enum value', () => {
    expect(PATH_VARIANTS).toHaveLength(6);
  });

  it('collection path ends at userStatuses', () => {
    expect(userStatusesCollectionPath('ROOT_CERTIFICATE', 'c1')).toEqual({
      path: '/deviceManagement/deviceConfigurations/c1/rootCertificate/userStatuses',
      variant: 'ROOT_CERTIFICATE',
      target: 'collection',
    });
  });

  it.each([
    ["user:ü'+&=@(1)", "user%3A%C3%BC'%2B%26%3D%40(1)"],
    ['7e323db2-3db2-7e32-b23d-327eb23d327e', '7e323db2-3db2-7e32-b23d-327eb23d327e'],
    ['a;b,c', 'a%3Bb%2Cc'],
  ])('encodes %j as one segment %j', (id, segment) => {
    expect(
      userStatusPath({
        path: 'DEVICE_CONFIGURATION',
        deviceConfigurationId: 'c',
        userStatusId: id,
      }).path,
    ).toBe(`/deviceManagement/deviceConfigurations/c/userStatuses/${segment}`);
  });

  it('throws an input error naming the argument', () => {
    const attempt = () =>
      userStatusPath({
        path: 'DEVICE_CONFIGURATION',
        deviceConfigurationId: 'c',
        userStatusId: '..',
      });
    expect(attempt).toThrow(GraphInputError);
    expect(attempt).toThrow('userStatusId cannot be ".."');
  });

  it.each([
    ['deviceConfigurationId', { deviceConfigurationId: 'a/b', userStatusId: 's' }],
    ['id', { deviceConfigurationId: 'c', userStatusId: '' }],
  ])('names the ids as the caller did (a reference says %s)', (argument, ids) => {
    const names = { deviceConfigurationId: 'deviceConfigurationId', userStatusId: 'id' };
    let thrown: unknown;
    try {
      userStatusPath({ path: 'DEVICE_CONFIGURATION', ...ids }, names);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GraphInputError);
    expect(thrown).toMatchObject({
      argument,
      message: expect.stringMatching(`^${argument} `) as unknown,
    });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'device_configuration', ''])(
    'refuses %j as a path, however it looks up in an object',
    (path) => {
      expect(isPathVariant(path)).toBe(false);
      expect(() => userStatusesCollectionPath(path as (typeof PATH_VARIANTS)[number], 'c')).toThrow(
        new GraphInputError(`Unknown path ${path}.`, 'path'),
      );
    },
  );

  it.each(PATH_VARIANTS.map((variant) => [variant]))('%s is a path variant', (variant) => {
    expect(isPathVariant(variant)).toBe(true);
  });
});

describe('idProblem', () => {
  it.each([
    ['', 'is empty'],
    ['.', 'cannot be "."'],
    ['..', 'cannot be ".."'],
    ['$count', 'cannot start with "$"'],
    ['$ref', 'cannot start with "$"'],
    ['$value', 'cannot start with "$"'],
    ['microsoft.graph.deviceConfigurationUserStatus', 'type cast'],
    ['Microsoft.Graph.windows10VpnConfiguration', 'type cast'],
    ['graph.user', 'type cast'],
    ['a'.repeat(MAX_ID_LENGTH + 1), 'is longer than 256 characters'],
    ...[
      '/',
      '\\',
      '?',
      '#',
      '%',
      ' ',
      '\t',
      '\r',
      '\n',
      '\u0000',
      '\u001f',
      '\u007f',
      '\u0085',
      '\u00a0',
      '\u2028',
      '\u3000',
      '\ufeff',
      '\ud800',
      '\udfff',
    ].map(
      (character) =>
        [`a${character}b`, 'contains a character that is not allowed'] as [string, string],
    ),
  ])('%j %s', (id, problem) => {
    expect(idProblem(id)).toEqual(expect.stringContaining(problem));
  });

  it.each([
    'a',
    '...',
    '.a',
    'a.',
    'a'.repeat(MAX_ID_LENGTH),
    "O'Brien",
    'ü',
    '(1)',
    'a+b=c',
    '😀',
    'a$count',
    'microsoft',
    'graphs.x',
    'a.microsoft.graph.b',
  ])('accepts %j', (id) => {
    expect(idProblem(id)).toBeUndefined();
  });
});
