import { GatewayError, GatewayErrorCode, badUserInput, isGatewayError } from './errors';
import type { GraphErrorDetails } from './errors';
import type { BulkOutcome, PreparedUpdate } from './graph/bulk';
import { userStatusPath } from './graph/paths';
import type { NewUserStatus } from './graph/userStatuses';
import { fromGraphStatus, toGraphStatus } from './graph/model';
import type { GraphUserStatusChanges } from './graph/model';
import type { UserStatusLocation } from './graph/paths';
import type {
  ComplianceStatus,
  CreateDeviceConfigurationUserStatusInput,
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

type WritableInput = Pick<
  UpdateDeviceConfigurationUserStatusInput,
  'status' | 'lastReportedDateTime' | 'userDisplayName' | 'userPrincipalName' | 'devicesCount'
>;

/**
 * Graph's properties for the fields the caller gave, with Graph's names and values. An explicit `null` is refused
 * rather than sent, since Graph would clear the property (or reject a null enum). `label` names the input in
 * messages (`input`, `inputs[3]`).
 */
export function toGraphProperties(input: WritableInput, label = 'input'): GraphUserStatusChanges {
  for (const field of WRITABLE_FIELDS)
    if (input[field] === null)
      throw badUserInput(
        `${label}.${field} cannot be null: leave it out to keep its value.`,
        field,
      );
  const changes: GraphUserStatusChanges = {};
  if (input.status != null) changes.status = toGraphStatus(input.status);
  if (input.lastReportedDateTime != null) changes.lastReportedDateTime = input.lastReportedDateTime;
  if (input.userDisplayName != null) changes.userDisplayName = input.userDisplayName;
  if (input.userPrincipalName != null) changes.userPrincipalName = input.userPrincipalName;
  if (input.devicesCount != null) changes.devicesCount = input.devicesCount;
  return changes;
}

/** The PATCH body; an empty PATCH is refused rather than spent against Intune's write quota. */
export function toUserStatusChanges(input: WritableInput, label = 'input'): GraphUserStatusChanges {
  const changes = toGraphProperties(input, label);
  if (Object.keys(changes).length === 0)
    throw badUserInput(
      `${label} has nothing to change: give at least one of ${WRITABLE_FIELDS.join(', ')}.`,
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
  return {
    path: toPath(args.path),
    deviceConfigurationId: args.deviceConfigurationId,
    userStatusId: args.userStatusId,
  };
}

/** The path variant; left out means the schema's default, an explicit `null` is refused. */
export function toPath(path: InputMaybe<UserStatusPath> | undefined): UserStatusPath {
  if (path === null)
    throw badUserInput('path cannot be null: leave it out for DEVICE_CONFIGURATION.', 'path');
  return path ?? 'DEVICE_CONFIGURATION';
}

/**
 * Validates every input of a bulk update before anything is sent. The first bad one fails the whole field, its
 * index in the message and in `extensions.index`; a user status named twice is refused, since Graph runs the
 * items of a batch in no set order.
 */
export function toPreparedUpdates(
  inputs: readonly UpdateDeviceConfigurationUserStatusInput[],
  maxInputs: number,
): PreparedUpdate[] {
  if (inputs.length > maxInputs)
    throw badUserInput(
      `inputs has ${inputs.length} items; at most ${maxInputs} are allowed.`,
      'inputs',
    );
  const firstIndexByPath = new Map<string, number>();
  return inputs.map((input, index) => {
    const label = `inputs[${index}]`;
    let prepared: PreparedUpdate;
    try {
      const path = userStatusPath(toLocation(input));
      prepared = {
        path,
        userStatusId: input.userStatusId,
        changes: toUserStatusChanges(input, label),
      };
    } catch (error) {
      if (!isGatewayError(error)) throw error;
      const message = error.message.startsWith(label) ? error.message : `${label}.${error.message}`;
      throw new GatewayError(error.code, message, { extensions: { ...error.extensions, index } });
    }
    const earlier = firstIndexByPath.get(prepared.path);
    if (earlier !== undefined)
      throw new GatewayError(
        GatewayErrorCode.BAD_USER_INPUT,
        `${label} names the same user status as inputs[${earlier}]: give each user status once.`,
        { extensions: { argument: 'inputs', index } },
      );
    firstIndexByPath.set(prepared.path, index);
    return prepared;
  });
}

/** A bulk item's outcome as the schema's result: the user status, or the error as data. */
export function toBulkResult(outcome: BulkOutcome) {
  if (outcome.ok) return { userStatus: outcome.userStatus, error: null };
  const graph = outcome.error.extensions.graph as GraphErrorDetails | undefined;
  const retryAfterSeconds = outcome.error.extensions.retryAfterSeconds;
  return {
    userStatus: null,
    error: {
      code: outcome.error.code,
      message: outcome.error.message,
      status: graph?.status ?? null,
      requestId: graph?.requestId ?? null,
      retryAfterSeconds: typeof retryAfterSeconds === 'number' ? retryAfterSeconds : null,
    },
  };
}

/** A create: the caller's properties, refusing explicit nulls. */
export function toNewUserStatus(input: CreateDeviceConfigurationUserStatusInput): NewUserStatus {
  if (input.id === null)
    throw badUserInput('input.id cannot be null: leave it out to let Graph assign one.', 'id');
  return {
    path: toPath(input.path),
    deviceConfigurationId: input.deviceConfigurationId,
    ...(input.id !== undefined ? { id: input.id } : {}),
    properties: toGraphProperties(input),
  };
}
