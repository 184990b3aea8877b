/**
 * The one table of `deviceConfigurationUserStatus` properties. It drives what the gateway reads from Graph's
 * answers, what `$select` may ask for, which inputs a write may carry, and the emulator's writable fields: a new
 * property is one row here (plus its field in `schema/`).
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-deviceconfigurationuserstatus?view=graph-rest-beta
 */

/** How a property's value travels in Graph's JSON. */
export type PropertyType = 'string' | 'int32' | 'complianceStatus' | 'dateTimeOffset';

export interface UserStatusProperty {
  /** The GraphQL field and input name. */
  readonly name: string;
  /** Graph's JSON name. */
  readonly graphName: string;
  readonly writable: boolean;
  readonly type: PropertyType;
}

export const USER_STATUS_PROPERTIES = [
  { name: 'id', graphName: 'id', writable: false, type: 'string' },
  { name: 'userDisplayName', graphName: 'userDisplayName', writable: true, type: 'string' },
  { name: 'devicesCount', graphName: 'devicesCount', writable: true, type: 'int32' },
  { name: 'status', graphName: 'status', writable: true, type: 'complianceStatus' },
  {
    name: 'lastReportedDateTime',
    graphName: 'lastReportedDateTime',
    writable: true,
    type: 'dateTimeOffset',
  },
  { name: 'userPrincipalName', graphName: 'userPrincipalName', writable: true, type: 'string' },
] as const satisfies readonly UserStatusProperty[];

export type UserStatusPropertyName = (typeof USER_STATUS_PROPERTIES)[number]['name'];
export type WritablePropertyName = Extract<
  (typeof USER_STATUS_PROPERTIES)[number],
  { writable: true }
>['name'];

export const WRITABLE_PROPERTIES: readonly UserStatusProperty[] = USER_STATUS_PROPERTIES.filter(
  (property) => property.writable,
);

const BY_NAME: ReadonlyMap<string, UserStatusProperty> = new Map(
  USER_STATUS_PROPERTIES.map((property) => [property.name, property]),
);

export function propertyNamed(name: string): UserStatusProperty | undefined {
  return BY_NAME.get(name);
}

/**
 * Graph's `complianceStatus` values. Graph enums evolve: a value not listed here is passed on as it is and the
 * server layer decides what to show.
 */
export const COMPLIANCE_STATUSES = [
  'unknown',
  'notApplicable',
  'compliant',
  'remediated',
  'nonCompliant',
  'error',
  'conflict',
  'notAssigned',
] as const;

export type GraphComplianceStatus = (typeof COMPLIANCE_STATUSES)[number];
