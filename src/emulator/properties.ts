/**
 * The user-status properties the emulator accepts in a write, with their checks. This is the ONE list the
 * emulator keeps: when the Graph layer's property table lands (issue 9, item 6), derive this from it here.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-deviceconfigurationuserstatus?view=graph-rest-beta
 */
const COMPLIANCE_STATUSES: readonly string[] = [
  'unknown',
  'notApplicable',
  'compliant',
  'remediated',
  'nonCompliant',
  'error',
  'conflict',
  'notAssigned',
];

const DATE_TIME_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$/;

export type PropertyCheck = (value: unknown) => boolean;

export const WRITABLE_PROPERTIES: Readonly<Record<string, PropertyCheck>> = {
  status: (value) => typeof value === 'string' && COMPLIANCE_STATUSES.includes(value),
  lastReportedDateTime: (value) => typeof value === 'string' && DATE_TIME_OFFSET.test(value),
  userDisplayName: (value) => value === null || typeof value === 'string',
  userPrincipalName: (value) => value === null || typeof value === 'string',
  devicesCount: (value) => Number.isInteger(value) && Math.abs(value as number) < 2 ** 31,
};

/** What a created user status holds for the properties the POST leaves out. */
export const CREATED_DEFAULTS: Readonly<Record<string, unknown>> = {
  userDisplayName: null,
  userPrincipalName: null,
  devicesCount: 0,
  status: 'unknown',
  lastReportedDateTime: null,
};
