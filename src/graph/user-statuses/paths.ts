import { GraphInputError } from '../errors';

/** The six ways to reach `userStatuses` (the schema's `UserStatusPath` enum has the same names). */
export type PathVariant =
  | 'DEVICE_CONFIGURATION'
  | 'ROOT_CERTIFICATE'
  | 'IOS_SCEP_ROOT_CERTIFICATE'
  | 'MACOS_SCEP_ROOT_CERTIFICATE'
  | 'WINDOWS10_VPN_IDENTITY_CERTIFICATE'
  | 'WINDOWS_PHONE81_VPN_IDENTITY_CERTIFICATE';

/** What a Graph call is about, for metric labels and spans: low cardinality, never an id. */
export interface PathLabel {
  readonly variant: PathVariant | 'BATCH';
  readonly target: 'item' | 'collection' | 'batch';
}

/** A Graph path relative to the version root (ids validated and encoded), with its label from where it was built. */
export interface GraphPath extends PathLabel {
  readonly path: string;
}

/** A path to user statuses: always one of the six variants. */
export interface UserStatusGraphPath extends GraphPath {
  readonly variant: PathVariant;
}

export const BATCH_PATH: GraphPath = { path: '/$batch', variant: 'BATCH', target: 'batch' };

/**
 * The six Graph REST prefixes that reach `userStatuses`, from the seed page (with its doc-generator `//` fixed:
 * Graph paths use single slashes). `{c}` is replaced by the configuration id.
 * https://learn.microsoft.com/graph/api/intune-deviceconfig-deviceconfigurationuserstatus-update?view=graph-rest-beta
 */
const USER_STATUS_PREFIXES: Readonly<Record<PathVariant, readonly string[]>> = {
  DEVICE_CONFIGURATION: [],
  ROOT_CERTIFICATE: ['rootCertificate'],
  IOS_SCEP_ROOT_CERTIFICATE: ['microsoft.graph.iosScepCertificateProfile', 'rootCertificate'],
  MACOS_SCEP_ROOT_CERTIFICATE: ['microsoft.graph.macOSScepCertificateProfile', 'rootCertificate'],
  WINDOWS10_VPN_IDENTITY_CERTIFICATE: [
    'microsoft.graph.windows10VpnConfiguration',
    'identityCertificate',
  ],
  WINDOWS_PHONE81_VPN_IDENTITY_CERTIFICATE: [
    'microsoft.graph.windowsPhone81VpnConfiguration',
    'identityCertificate',
  ],
};

export const PATH_VARIANTS = Object.keys(USER_STATUS_PREFIXES) as readonly PathVariant[];

export const MAX_ID_LENGTH = 256;

// Anything that could end a path segment, start a query or fragment, smuggle an escape, or be trimmed or
// rewritten by a proxy: `/ \ ? # %`, whitespace (Unicode too), control characters (C0, DEL, C1), and lone UTF-16
// surrogates (with the `u` flag the class matches only unpaired ones), which `encodeURIComponent` cannot encode.
// eslint-disable-next-line no-control-regex
const UNSAFE_ID_CHARACTER = /[/\\?#%\s\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ud800-\udfff]/u;

const NAMESPACE_QUALIFIED = /^(microsoft\.)?graph\./i;

/** Why an id cannot be one path segment, or `undefined` when it can. */
export function idProblem(id: string): string | undefined {
  if (id.length === 0) return 'is empty';
  if (id.length > MAX_ID_LENGTH) return `is longer than ${MAX_ID_LENGTH} characters`;
  if (id === '.' || id === '..') return `cannot be "${id}"`;
  // `$count`, `$ref`, `$value`, `$batch`: in a path, OData reads a segment that starts with `$` as a system
  // segment, not as a key, so such an id would address something else. Graph's ids never start with one.
  // https://learn.microsoft.com/en-us/graph/query-parameters
  if (id.startsWith('$'))
    return 'cannot start with "$" (an OData system segment such as $count or $ref)';
  // `microsoft.graph.windows10VpnConfiguration`: a segment named like a type of Graph's namespace (or its alias) is
  // read as a type cast, so `userStatuses/<such id>` would address the collection, not one user status.
  // https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part2-url-conventions.html#sec_AddressingDerivedTypes
  if (NAMESPACE_QUALIFIED.test(id))
    return 'cannot be a name in the microsoft.graph namespace (OData reads it as a type cast, not an id)';
  if (UNSAFE_ID_CHARACTER.test(id))
    return 'contains a character that is not allowed (/ \\ ? # %, whitespace, a control character or a lone surrogate)';
  return undefined;
}

/** Validates an id and encodes it as exactly one path segment; throws `GraphInputError` naming the argument. */
export function idSegment(argument: string, id: string): string {
  const problem = idProblem(id);
  if (problem) throw new GraphInputError(`${argument} ${problem}.`, argument);
  return encodeURIComponent(id);
}

/**
 * Which collection holds a user status: the path variant it is reached through and its configuration. With the user
 * status's id it is where the user status is, and the entity key other subgraphs reference it by.
 */
export interface UserStatusOrigin {
  readonly path: PathVariant;
  readonly deviceConfigurationId: string;
}

export interface UserStatusLocation extends UserStatusOrigin {
  readonly userStatusId: string;
}

/** The names the caller gave the two ids, for error messages (a federation reference calls the second `id`). */
export interface IdNames {
  readonly deviceConfigurationId: string;
  readonly userStatusId: string;
}

const ARGUMENT_NAMES: IdNames = {
  deviceConfigurationId: 'deviceConfigurationId',
  userStatusId: 'userStatusId',
};

/** Whether a value is one of the six variants (own keys only: `constructor` or `__proto__` is no variant). */
export function isPathVariant(value: unknown): value is PathVariant {
  return typeof value === 'string' && Object.hasOwn(USER_STATUS_PREFIXES, value);
}

/** `/deviceManagement/deviceConfigurations/{c}/…/userStatuses` for a path variant, the ids validated. */
export function userStatusesCollectionPath(
  variant: PathVariant,
  deviceConfigurationId: string,
  names: IdNames = ARGUMENT_NAMES,
): UserStatusGraphPath {
  if (!isPathVariant(variant))
    throw new GraphInputError(`Unknown path ${String(variant)}.`, 'path');
  const prefix = USER_STATUS_PREFIXES[variant];
  const configuration = idSegment(names.deviceConfigurationId, deviceConfigurationId);
  const path = [
    '',
    'deviceManagement',
    'deviceConfigurations',
    configuration,
    ...prefix,
    'userStatuses',
  ].join('/');
  return { path, variant, target: 'collection' };
}

/** The path of one user status, relative to the Graph base URL; both ids validated and encoded. */
export function userStatusPath(
  location: UserStatusLocation,
  names: IdNames = ARGUMENT_NAMES,
): UserStatusGraphPath {
  const collection = userStatusesCollectionPath(
    location.path,
    location.deviceConfigurationId,
    names,
  );
  const id = idSegment(names.userStatusId, location.userStatusId);
  return { path: `${collection.path}/${id}`, variant: location.path, target: 'item' };
}

/** The absolute URL for a Graph path; refuses anything that would leave the configured base. */
export function graphUrl(base: URL, path: string): URL {
  const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base.origin);
  if (
    !path.startsWith('/') ||
    url.origin !== base.origin ||
    !url.pathname.startsWith(base.pathname)
  )
    throw new Error(`Refusing a Graph path outside the base URL: ${path}`);
  return url;
}
