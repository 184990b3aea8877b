import { toComplianceStatus, toLocation, toUserStatusChanges } from '../../src/graphql/mappers';

const ids = { deviceConfigurationId: 'c', userStatusId: 's' };

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
