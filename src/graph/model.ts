import type { ComplianceStatus } from '../generated/graphql';

/**
 * A `deviceConfigurationUserStatus` as Graph answered it, checked for shape but with its values untouched:
 * `status` stays Graph's string and `lastReportedDateTime` stays the exact text Graph sent.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-deviceconfigurationuserstatus?view=graph-rest-beta
 */
export interface GraphUserStatus {
  readonly id: string;
  readonly status: string | null;
  readonly lastReportedDateTime: string | null;
  readonly userDisplayName: string | null;
  readonly userPrincipalName: string | null;
  readonly devicesCount: number | null;
}

/** The writable properties, with Graph's names and values, as sent in a PATCH body. */
export interface GraphUserStatusChanges {
  status?: string;
  lastReportedDateTime?: string;
  userDisplayName?: string;
  userPrincipalName?: string;
  devicesCount?: number;
}

const GRAPH_STATUS_BY_ENUM: Readonly<Record<ComplianceStatus, string>> = {
  UNKNOWN: 'unknown',
  NOT_APPLICABLE: 'notApplicable',
  COMPLIANT: 'compliant',
  REMEDIATED: 'remediated',
  NON_COMPLIANT: 'nonCompliant',
  ERROR: 'error',
  CONFLICT: 'conflict',
  NOT_ASSIGNED: 'notAssigned',
};

const ENUM_BY_GRAPH_STATUS: ReadonlyMap<string, ComplianceStatus> = new Map(
  Object.entries(GRAPH_STATUS_BY_ENUM).map(([name, value]) => [
    value.toLowerCase(),
    name as ComplianceStatus,
  ]),
);

export function toGraphStatus(status: ComplianceStatus): string {
  return GRAPH_STATUS_BY_ENUM[status];
}

/** Graph's status string as the schema's enum; `undefined` for a value this gateway does not know. */
export function fromGraphStatus(value: string): ComplianceStatus | undefined {
  return ENUM_BY_GRAPH_STATUS.get(value.toLowerCase());
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function isInt32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
}

/**
 * Reads Graph's JSON object as a user status. `fallbackId` is the id from the request path, used when Graph
 * leaves `id` out (a `$select` without it, or a proxy that trims bodies).
 */
export function toGraphUserStatus(
  body: Readonly<Record<string, unknown>>,
  fallbackId: string,
): GraphUserStatus {
  const devicesCount = body.devicesCount;
  return {
    id: typeof body.id === 'string' && body.id !== '' ? body.id : fallbackId,
    status: stringOrNull(body.status),
    lastReportedDateTime: stringOrNull(body.lastReportedDateTime),
    userDisplayName: stringOrNull(body.userDisplayName),
    userPrincipalName: stringOrNull(body.userPrincipalName),
    devicesCount: isInt32(devicesCount) ? devicesCount : null,
  };
}
