import { badUserInput } from './errors';
import { fromGraphStatus, toGraphStatus } from './graph/model';
import type { GraphUserStatusChanges } from './graph/model';
import type { UserStatusLocation } from './graph/paths';
import type {
  ComplianceStatus,
  InputMaybe,
  UpdateDeviceConfigurationUserStatusInput,
  UserStatusPath,
} from './generated/graphql';

const WRITABLE_FIELDS = [
  'status',
  'lastReportedDateTime',
  'userDisplayName',
  'userPrincipalName',
  'devicesCount',
] as const;

/**
 * The PATCH body: only the fields the caller gave, with Graph's names and values. An explicit `null` is refused
 * rather than sent, since Graph would clear the property (or reject a null enum), and an empty PATCH is refused
 * rather than spent against Intune's write quota.
 */
export function toUserStatusChanges(
  input: UpdateDeviceConfigurationUserStatusInput,
): GraphUserStatusChanges {
  const changes: GraphUserStatusChanges = {};
  for (const field of WRITABLE_FIELDS) {
    if (!(field in input) || input[field] === undefined) continue;
    if (input[field] === null)
      throw badUserInput(`input.${field} cannot be null: leave it out to keep its value.`, field);
  }
  if (input.status != null) changes.status = toGraphStatus(input.status);
  if (input.lastReportedDateTime != null) changes.lastReportedDateTime = input.lastReportedDateTime;
  if (input.userDisplayName != null) changes.userDisplayName = input.userDisplayName;
  if (input.userPrincipalName != null) changes.userPrincipalName = input.userPrincipalName;
  if (input.devicesCount != null) changes.devicesCount = input.devicesCount;
  if (Object.keys(changes).length === 0)
    throw badUserInput(
      `input has nothing to change: give at least one of ${WRITABLE_FIELDS.join(', ')}.`,
    );
  return changes;
}

/** Graph's status string as the enum; a value the schema does not know yet becomes `UNKNOWN`, reported once. */
export function toComplianceStatus(
  value: string | null,
  onUnknown: (value: string) => void,
): ComplianceStatus | null {
  if (value === null) return null;
  const status = fromGraphStatus(value);
  if (status) return status;
  onUnknown(value);
  return 'UNKNOWN';
}

export interface LocationArgs {
  readonly path?: InputMaybe<UserStatusPath>;
  readonly deviceConfigurationId: string;
  readonly userStatusId: string;
}

/** Where the user status is; `path` left out means the schema's default, an explicit `null` is refused. */
export function toLocation(args: LocationArgs): UserStatusLocation {
  if (args.path === null)
    throw badUserInput('path cannot be null: leave it out for DEVICE_CONFIGURATION.', 'path');
  return {
    path: args.path ?? 'DEVICE_CONFIGURATION',
    deviceConfigurationId: args.deviceConfigurationId,
    userStatusId: args.userStatusId,
  };
}
