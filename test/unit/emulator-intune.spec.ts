import { serviceError } from '../../emulator/answer';
import { callerIdentity, createEmulatorToken } from '../../emulator/auth';
import { faultError } from '../../emulator/http';
import { intuneCode, intuneUrlPath, pageOffset, wrapIntuneError } from '../../emulator/intune';
import { findByKey, intunePath, pathSegments } from '../../emulator/resource-path';

const GUID = '6a1f3c2e-0b4d-4e5f-a6b7-c8d9e0f1a2b3';

describe('pathSegments', () => {
  it.each([
    [
      '/deviceManagement/deviceConfigurations/c1/userStatuses',
      ['deviceManagement', 'deviceConfigurations', 'c1', 'userStatuses'],
    ],
    [
      "/deviceManagement/deviceConfigurations('c1')/userStatuses",
      ['deviceManagement', 'deviceConfigurations', 'c1', 'userStatuses'],
    ],
    [
      '/deviceManagement/deviceConfigurations(c1)/userStatuses',
      ['deviceManagement', 'deviceConfigurations', 'c1', 'userStatuses'],
    ],
    [
      "/deviceManagement/deviceConfigurations(%27c1%27)/userStatuses('s1')",
      ['deviceManagement', 'deviceConfigurations', 'c1', 'userStatuses', 's1'],
    ],
    [
      "/deviceManagement/deviceConfigurations('it''s')/userStatuses",
      ['deviceManagement', 'deviceConfigurations', "it's", 'userStatuses'],
    ],
    [
      '/deviceManagement/deviceConfigurations/a%2Fb',
      ['deviceManagement', 'deviceConfigurations', 'a/b'],
    ],
    ['/a//b', ['a', '', 'b']],
  ])('%s', (path, segments) => {
    expect(pathSegments(path)).toEqual(segments);
  });

  it('is undefined for broken percent-encoding', () => {
    expect(pathSegments('/deviceManagement/%E0%A4%A')).toBeUndefined();
  });
});

describe('intunePath', () => {
  it.each([
    [
      ['deviceManagement', 'deviceConfigurations', GUID, 'userStatuses'],
      `/deviceManagement/deviceConfigurations('${GUID.toUpperCase()}')/userStatuses`,
    ],
    [
      [
        'deviceManagement',
        'deviceConfigurations',
        'c-1',
        'microsoft.graph.iosScepCertificateProfile',
        'rootCertificate',
        'userStatuses',
      ],
      "/deviceManagement/deviceConfigurations('c-1')/microsoft.graph.iosScepCertificateProfile/rootCertificate/userStatuses",
    ],
    [
      ['deviceManagement', 'deviceConfigurations', "it's a/b", 'userStatuses'],
      "/deviceManagement/deviceConfigurations('it''s%20a%2Fb')/userStatuses",
    ],
  ])('%j → %s', (segments, path) => {
    expect(intunePath(segments)).toBe(path);
    expect(pathSegments(path)).toEqual(
      segments.map((segment) => (segment === GUID ? GUID.toUpperCase() : segment)),
    );
  });
});

describe('findByKey', () => {
  const map = new Map([
    [GUID, 'by guid'],
    ['user-1', 'by name'],
  ]);
  it.each([
    [GUID, 'by guid'],
    [GUID.toUpperCase(), 'by guid'],
    ['user-1', 'by name'],
    ['USER-1', undefined],
    ['6a1f3c2e-0b4d-4e5f-a6b7-000000000000', undefined],
  ])('%s → %s', (key, value) => {
    expect(findByKey(map, key)).toBe(value);
  });
});

describe('pageOffset', () => {
  it.each([
    ['', 0],
    ['$skiptoken=skipCount%3d100', 100],
    ['$skiptoken=skipCount%3D3', 3],
    ['$skiptoken=SKIPCOUNT=7', 7],
    ['$skiptoken=42', 42],
    ['$skip=5', 5],
    ['$skiptoken=6&$skip=5', 6],
    ['$skiptoken=abc', undefined],
    ['$skiptoken=skipCount%3d-1', undefined],
    ['$skip=', undefined],
  ])('%s → %s', (search, offset) => {
    expect(pageOffset(new URLSearchParams(search))).toBe(offset);
  });
});

describe('Intune errors', () => {
  it.each([
    [400, 'InternalError'],
    [404, 'InternalError'],
    [409, 'InternalError'],
    [429, 'TooManyRequests'],
    [500, 'InternalError'],
    [503, 'ServiceUnavailable'],
  ])('HTTP %i → code %s', (status, code) => {
    expect(intuneCode(status)).toBe(code);
  });

  it('puts a JSON document in error.message, as Intune does', () => {
    const answer = wrapIntuneError(serviceError(404, 'ResourceNotFound', 'Not there.'), {
      activityId: 'act-1',
      path: "/deviceManagement/deviceConfigurations('C')/userStatuses",
    });
    const error = answer.body?.error as { code: string; message: string };
    expect(answer.status).toBe(404);
    expect(error.code).toBe('InternalError');
    expect(error.message).toMatch(/^\{\r\n {2}"_version": 3,\r\n {2}"Message": /);
    expect(JSON.parse(error.message)).toEqual({
      _version: 3,
      Message:
        "Not there. - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: act-1 - Url: https://fef.msua06.manage.microsoft.com/DeviceConfiguration_2502/StatelessDeviceConfigurationFEService/deviceManagement/deviceConfigurations('C')/userStatuses?api-version=5025-02-06",
      CustomApiErrorPhrase: '',
      RetryAfter: null,
      ErrorSourceService: '',
      HttpHeaders: '{}',
    });
  });

  it('leaves a success alone', () => {
    const ok = { status: 200, body: { id: 'x' } };
    expect(wrapIntuneError(ok, { activityId: 'a', path: '/' })).toBe(ok);
  });

  it.each([
    [
      `/deviceManagement/deviceConfigurations/${GUID}/userStatuses/s1?$select=id`,
      `/deviceManagement/deviceConfigurations('${GUID.toUpperCase()}')/userStatuses/s1`,
    ],
    ['/deviceManagement/other', '/deviceManagement/other'],
    ['/%E0%A4%A', '/%E0%A4%A'],
  ])('names %s as %s', (url, path) => {
    expect(intuneUrlPath(url)).toBe(path);
  });
});

describe("fault error bodies: Graph's usual code for each status", () => {
  it.each([
    [400, 'BadRequest'],
    [401, 'InvalidAuthenticationToken'],
    [403, 'Authorization_RequestDenied'],
    [404, 'ResourceNotFound'],
    [405, 'MethodNotAllowed'],
    [409, 'Conflict'],
    [412, 'PreconditionFailed'],
    [413, 'RequestEntityTooLarge'],
    [424, 'FailedDependency'],
    [429, 'TooManyRequests'],
    [500, 'InternalServerError'],
    [502, 'BadGateway'],
    [503, 'ServiceUnavailable'],
    [504, 'GatewayTimeout'],
    [418, 'generalException'],
    [507, 'InternalServerError'],
  ])('status=%i → %s', (status, code) => {
    expect(faultError(status)).toEqual({
      status,
      body: { error: { code, message: `Emulated fault: HTTP ${status}.` } },
      fromService: true,
    });
  });

  it.each([
    [403, 'InternalError'],
    [429, 'TooManyRequests'],
    [503, 'ServiceUnavailable'],
  ])("in intune mode, status=%i is wrapped with Intune's code %s", (status, code) => {
    const answer = wrapIntuneError(faultError(status), { activityId: 'a', path: '/' });
    const error = answer.body?.error as { code: string; message: string };
    expect(error.code).toBe(code);
    expect((JSON.parse(error.message) as { Message: string }).Message).toMatch(
      new RegExp(`^Emulated fault: HTTP ${status}\\. - Operation ID`),
    );
  });
});

describe('callerIdentity', () => {
  const scopes = ['DeviceManagementConfiguration.ReadWrite.All'];
  it.each([
    ['an opaque token', 'Bearer opaque-token-123', { tenant: '(opaque)', app: '(opaque)' }],
    ['no token', undefined, { tenant: '(opaque)', app: '(opaque)' }],
    [
      'a v1 token (appid)',
      `Bearer ${createEmulatorToken(scopes, { tid: 't1', appid: 'a1' })}`,
      { tenant: 't1', app: 'a1' },
    ],
    [
      'a v2 token (azp)',
      `Bearer ${createEmulatorToken(scopes, { tid: 't1', azp: 'a2' })}`,
      { tenant: 't1', app: 'a2' },
    ],
    [
      'appid before azp',
      `Bearer ${createEmulatorToken(scopes, { tid: 't1', appid: 'a1', azp: 'a2' })}`,
      { tenant: 't1', app: 'a1' },
    ],
    [
      'a JWT without them',
      `Bearer ${createEmulatorToken(scopes)}`,
      { tenant: '(none)', app: '(none)' },
    ],
    [
      'claims that are not strings',
      `Bearer ${createEmulatorToken(scopes, { tid: 7, appid: '' })}`,
      { tenant: '(none)', app: '(none)' },
    ],
  ])('%s', (_name, authorization, identity) => {
    expect(callerIdentity(authorization)).toEqual(identity);
  });
});
