import {
  COMPLIANCE_STATUSES,
  WRITABLE_PROPERTIES as GRAPH_WRITABLE,
} from '../src/graph/user-statuses/properties';
import type { PropertyType } from '../src/graph/user-statuses/properties';

/**
 * The user-status properties the emulator accepts in a write, with Graph's checks, derived from the Graph layer's
 * one property table: a new property is writable here as soon as it has a row there.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-deviceconfigurationuserstatus?view=graph-rest-beta
 */
const DATE_TIME_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$/;

export type PropertyCheck = (value: unknown) => boolean;

const CHECKS: Readonly<Record<PropertyType, PropertyCheck>> = {
  complianceStatus: (value) =>
    typeof value === 'string' && (COMPLIANCE_STATUSES as readonly string[]).includes(value),
  dateTimeOffset: (value) => typeof value === 'string' && DATE_TIME_OFFSET.test(value),
  string: (value) => value === null || typeof value === 'string',
  int32: (value) => Number.isInteger(value) && Math.abs(value as number) < 2 ** 31,
};

export const WRITABLE_PROPERTIES: Readonly<Record<string, PropertyCheck>> = Object.fromEntries(
  GRAPH_WRITABLE.map(({ graphName, type }) => [graphName, CHECKS[type]]),
);

/** What a created user status holds for the properties the POST leaves out. */
export const CREATED_DEFAULTS: Readonly<Record<string, unknown>> = {
  userDisplayName: null,
  userPrincipalName: null,
  devicesCount: 0,
  status: 'unknown',
  lastReportedDateTime: null,
};
