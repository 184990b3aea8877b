import { GatewayError } from '../../src/graphql/errors/gateway-error';
import {
  toComplianceStatus,
  toLocation,
  toReferenceLocation,
  toUserStatusChanges,
} from '../../src/graphql/mappers';

const ids = { deviceConfigurationId: 'c', userStatusId: 's' };

/** A list or object `depth` levels deep, as a hostile `_Any` representation can be. */
function nested(depth: number, start: unknown[] | object): unknown {
  let value: unknown = start;
  for (let level = 0; level < depth; level += 1)
    value = Array.isArray(start) ? [value] : { a: value };
  return value;
}

describe('toUserStatusChanges', () => {
  it('keeps only given fields, with Graph values', () => {
    expect(
      toUserStatusChanges({
        ...ids,
        status: 'NON_COMPLIANT',
        devicesCount: 0,
        userDisplayName: '',
      }),
    ).toEqual({
      status: 'nonCompliant',
      devicesCount: 0,
      userDisplayName: '',
    });
  });

  it.each([
    'status',
    'lastReportedDateTime',
    'userDisplayName',
    'userPrincipalName',
    'devicesCount',
  ])('refuses an explicit null %s', (field) => {
    expect(() => toUserStatusChanges({ ...ids, status: 'COMPLIANT', [field]: null })).toThrow(
      `input.${field} cannot be null`,
    );
  });

  it('refuses an input with nothing to change', () => {
    expect(() => toUserStatusChanges({})).toThrow('nothing to change');
  });
});

describe('toComplianceStatus', () => {
  it.each([
    ['notApplicable', 'NOT_APPLICABLE'],
    ['nonCompliant', 'NON_COMPLIANT'],
    ['NONCOMPLIANT', 'NON_COMPLIANT'],
    ['notAssigned', 'NOT_ASSIGNED'],
  ])('%s → %s', (value, status) => {
    expect(toComplianceStatus(value, () => undefined)).toBe(status);
  });

  it('maps an unknown value to UNKNOWN and reports it', () => {
    const unknown: string[] = [];
    expect(toComplianceStatus('quantumCompliant', (value) => unknown.push(value))).toBe('UNKNOWN');
    expect(unknown).toEqual(['quantumCompliant']);
  });

  it('keeps null', () => {
    expect(toComplianceStatus(null, () => undefined)).toBeNull();
  });
});

describe('toLocation', () => {
  // The schema's default fills `path` in (and refuses a null) before a resolver runs: the mapper only picks.
  it.each(['DEVICE_CONFIGURATION', 'ROOT_CERTIFICATE'] as const)('keeps path %s', (path) => {
    expect(toLocation({ ...ids, path })).toEqual({ path, ...ids });
  });
});

describe('toReferenceLocation: a federation reference, checked like arguments', () => {
  const key = { path: 'ROOT_CERTIFICATE', deviceConfigurationId: 'c', id: 's' };

  it('reads the key fields as a location', () => {
    expect(toReferenceLocation({ __typename: 'DeviceConfigurationUserStatus', ...key })).toEqual({
      path: 'ROOT_CERTIFICATE',
      deviceConfigurationId: 'c',
      userStatusId: 's',
    });
  });

  it.each([
    [
      { ...key, path: 'BOGUS' },
      'path',
      `The reference's path must be one of DEVICE_CONFIGURATION,`,
    ],
    [{ ...key, path: 'constructor' }, 'path', 'got "constructor"'],
    [{ ...key, path: null }, 'path', 'got null'],
    [{ deviceConfigurationId: 'c', id: 's' }, 'path', 'got undefined'],
    [{ ...key, path: 'x'.repeat(500) }, 'path', `got "${'x'.repeat(56)}...`],
    [
      { ...key, deviceConfigurationId: 7 },
      'deviceConfigurationId',
      'must be a string (an ID); got 7',
    ],
    [{ ...key, id: ['s'] }, 'id', `The reference's id must be a string (an ID); got ["s"]`],
    [{ ...key, id: undefined }, 'id', 'got undefined'],
    // Deeper than JSON.stringify recurses: named, not a RangeError (an untyped INTERNAL_SERVER_ERROR before).
    [{ ...key, path: nested(20_000, []) }, 'path', 'got a list nested too deeply to show.'],
    [{ ...key, id: nested(20_000, {}) }, 'id', 'got a value too deep to show.'],
  ])('%# %s → BAD_USER_INPUT', (reference, argument, message) => {
    let thrown: unknown;
    try {
      toReferenceLocation(reference);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect(thrown).toMatchObject({
      code: 'BAD_USER_INPUT',
      extensions: { argument },
      message: expect.stringContaining(message) as unknown,
    });
  });
});
