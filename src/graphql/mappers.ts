import {
  GatewayError,
  GatewayErrorCode,
  badUserInput,
  isGatewayError,
} from './errors/gateway-error';
import { isPathVariant, PATH_VARIANTS, userStatusPath, WRITABLE_PROPERTIES } from '../graph';
import type {
  BulkOutcome,
  GraphComplianceStatus,
  IdNames,
  GraphUserStatusChanges,
  NewUserStatus,
  PathVariant,
  PreparedUpdate,
  UserStatusLocation,
  WritablePropertyName,
} from '../graph';
import { toGatewayError } from './errors/from-graph';
import type {
  ComplianceStatus,
  CreateDeviceConfigurationUserStatusInput,
  UpdateDeviceConfigurationUserStatusInput,
  UserStatusPath,
} from '../generated/graphql';

// The schema's enum and the Graph layer's variants name the same six paths; this fails to compile if they drift.
const SAME_VARIANTS: [UserStatusPath, PathVariant] extends [PathVariant, UserStatusPath]
  ? true
  : never = true;
void SAME_VARIANTS;

const GRAPH_STATUS_BY_ENUM: Readonly<Record<ComplianceStatus, GraphComplianceStatus>> = {
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

export function toGraphStatus(status: ComplianceStatus): GraphComplianceStatus {
  return GRAPH_STATUS_BY_ENUM[status];
}

type WritableInput = Partial<Record<WritablePropertyName, unknown>>;

/** One input value as Graph takes it: the enum by Graph's name, everything else as it is. */
function graphValue(name: string, value: unknown): string | number {
  return name === 'status' ? toGraphStatus(value as ComplianceStatus) : (value as string | number);
}

/**
 * Graph's properties for the fields the caller gave, driven by the property table. An explicit `null` is refused
 * rather than sent, since Graph would clear the property (or reject a null enum). `label` names the input in
 * messages (`input`, `inputs[3]`).
 */
export function toGraphProperties(input: WritableInput, label = 'input'): GraphUserStatusChanges {
  const changes: Record<string, string | number> = {};
  for (const { name, graphName } of WRITABLE_PROPERTIES) {
    const value = input[name as WritablePropertyName];
    if (value === null)
      throw badUserInput(`${label}.${name} cannot be null: leave it out to keep its value.`, name);
    if (value !== undefined) changes[graphName] = graphValue(name, value);
  }
  return changes;
}

/** The PATCH body; an empty PATCH is refused rather than spent against Intune's write quota. */
export function toUserStatusChanges(input: WritableInput, label = 'input'): GraphUserStatusChanges {
  const changes = toGraphProperties(input, label);
  if (Object.keys(changes).length === 0)
    throw badUserInput(
      `${label} has nothing to change: give at least one of ${WRITABLE_PROPERTIES.map(({ name }) => name).join(', ')}.`,
    );
  return changes;
}

/** Graph's status string as the enum; a value the schema does not know yet becomes `UNKNOWN`, reported once. */
export function toComplianceStatus(
  value: string | null,
  onUnknown: (value: string) => void,
): ComplianceStatus | null {
  if (value === null) return null;
  const status = ENUM_BY_GRAPH_STATUS.get(value.toLowerCase());
  if (status) return status;
  onUnknown(value);
  return 'UNKNOWN';
}

export interface LocationArgs {
  /**
   * Always present: the schema declares `path: UserStatusPath! = DEVICE_CONFIGURATION`, so graphql-js fills in the
   * default, and a null never reaches a resolver.
   */
  readonly path: UserStatusPath;
  readonly deviceConfigurationId: string;
  readonly userStatusId: string;
}

/** Where the user status is. */
export function toLocation(args: LocationArgs): UserStatusLocation {
  return {
    path: args.path,
    deviceConfigurationId: args.deviceConfigurationId,
    userStatusId: args.userStatusId,
  };
}

/** A reference's key fields name the user status's id `id`: errors say so. */
export const REFERENCE_ID_NAMES: IdNames = {
  deviceConfigurationId: 'deviceConfigurationId',
  userStatusId: 'id',
};

/**
 * A value for a message: short, whatever the caller sent. A representation is `_Any`, which nothing coerces or
 * bounds: a string is cut before it is quoted, and a value nested past what `JSON.stringify` can recurse through
 * (a `RangeError`, which would answer an untyped INTERNAL_SERVER_ERROR for the caller's mistake) is only named.
 */
export function shown(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(typeof value === 'string' ? value.slice(0, 61) : value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? 'a list nested too deeply to show' : 'a value too deep to show';
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * A federation reference (`{ path, deviceConfigurationId, id }`, the entity's key) as a location. Representations
 * arrive as the `_Any` scalar, which nothing coerces: each key field is checked here as an argument would be, and
 * the ids then by the Graph layer, so a bad reference is `BAD_USER_INPUT` and never reaches Graph.
 * https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/reference/subgraph-spec#resolve-requests-for-entities
 */
export function toReferenceLocation(
  reference: Readonly<Record<string, unknown>>,
): UserStatusLocation {
  const { path, deviceConfigurationId, id } = reference;
  if (!isPathVariant(path))
    throw badUserInput(
      `The reference's path must be one of ${PATH_VARIANTS.join(', ')}; got ${shown(path)}.`,
      'path',
    );
  for (const [name, value] of [
    ['deviceConfigurationId', deviceConfigurationId],
    ['id', id],
  ] as const)
    if (typeof value !== 'string')
      throw badUserInput(
        `The reference's ${name} must be a string (an ID); got ${shown(value)}.`,
        name,
      );
  return {
    path,
    deviceConfigurationId: deviceConfigurationId as string,
    userStatusId: id as string,
  };
}

function prepareUpdate(input: UpdateDeviceConfigurationUserStatusInput, index: number) {
  const label = `inputs[${index}]`;
  try {
    const location = toLocation(input);
    return {
      location,
      path: userStatusPath(location),
      changes: toUserStatusChanges(input, label),
    };
  } catch (caught) {
    const error = toGatewayError(caught);
    if (!isGatewayError(error)) throw error;
    const message = error.message.startsWith(label) ? error.message : `${label}.${error.message}`;
    throw new GatewayError(error.code, message, { extensions: { ...error.extensions, index } });
  }
}

/**
 * Validates every input of a bulk update before anything is sent. The first bad one fails the whole field, its
 * index in the message and in `extensions.index`; a user status named twice is refused, since Graph runs the
 * items of a batch in no set order. Ids are GUIDs, so the comparison ignores case. How many inputs an operation may
 * carry (MAX_BULK_INPUTS, all its bulk fields together) is checked before it runs: bulk-inputs.ts.
 */
export function toPreparedUpdates(
  inputs: readonly UpdateDeviceConfigurationUserStatusInput[],
): PreparedUpdate[] {
  const firstIndexByPath = new Map<string, number>();
  return inputs.map((input, index) => {
    const prepared = prepareUpdate(input, index);
    const key = prepared.path.path.toLowerCase();
    const earlier = firstIndexByPath.get(key);
    if (earlier !== undefined)
      throw new GatewayError(
        GatewayErrorCode.BAD_USER_INPUT,
        `inputs[${index}] names the same user status as inputs[${earlier}]: give each user status once.`,
        { extensions: { argument: 'inputs', index } },
      );
    firstIndexByPath.set(key, index);
    return prepared;
  });
}

/** A bulk item's outcome as the schema's result: the user status, or the error as data. */
export function toBulkResult(outcome: BulkOutcome, variant?: PathVariant) {
  if (outcome.ok) return { userStatus: outcome.userStatus, error: null };
  const mapped = toGatewayError(outcome.error, variant ? { variant } : {});
  const error = isGatewayError(mapped)
    ? mapped
    : new GatewayError(GatewayErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
  const graph = error.extensions.graph as
    { status?: number | null; requestId?: string | null } | undefined;
  const retryAfterSeconds = error.extensions.retryAfterSeconds;
  return {
    userStatus: null,
    error: {
      code: error.code,
      message: error.message,
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
    path: input.path,
    deviceConfigurationId: input.deviceConfigurationId,
    ...(input.id !== undefined ? { id: input.id } : {}),
    properties: toGraphProperties(input),
  };
}
