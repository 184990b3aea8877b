import { badUserInput } from '../errors';
import type { UserStatusPath } from '../generated/graphql';

/**
 * The six Graph REST prefixes that reach `userStatuses`, from the seed page (with its doc-generator `//` fixed:
 * Graph paths use single slashes). `{c}` is replaced by the configuration id.
 * https://learn.microsoft.com/graph/api/intune-deviceconfig-deviceconfigurationuserstatus-update?view=graph-rest-beta
 */
const USER_STATUS_PREFIXES: Readonly<Record<UserStatusPath, readonly string[]>> = {
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

export const USER_STATUS_PATHS = Object.keys(USER_STATUS_PREFIXES) as readonly UserStatusPath[];

export const MAX_ID_LENGTH = 256;

// Anything that could end a path segment, start a query or fragment, smuggle an escape, or be trimmed or
// rewritten by a proxy: `/ \ ? # %`, whitespace (Unicode too) and control characters (C0, DEL, C1).
// eslint-disable-next-line no-control-regex
const UNSAFE_ID_CHARACTER = /[/\\?#%\s\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/u;

/** Why an id cannot be one path segment, or `undefined` when it can. */
export function idProblem(id: string): string | undefined {
  if (id.length === 0) return 'is empty';
  if (id.length > MAX_ID_LENGTH) return `is longer than ${MAX_ID_LENGTH} characters`;
  if (id === '.' || id === '..') return `cannot be "${id}"`;
  if (UNSAFE_ID_CHARACTER.test(id))
    return 'contains a character that is not allowed (/ \\ ? # %, whitespace or a control character)';
  return undefined;
}

/** Validates an id and encodes it as exactly one path segment; throws `BAD_USER_INPUT` naming the argument. */
export function idSegment(argument: string, id: string): string {
  const problem = idProblem(id);
  if (problem) throw badUserInput(`${argument} ${problem}.`, argument);
  return encodeURIComponent(id);
}

export interface UserStatusLocation {
  readonly path: UserStatusPath;
  readonly deviceConfigurationId: string;
  readonly userStatusId: string;
}

/** `/deviceManagement/deviceConfigurations/{c}/…/userStatuses` for a path variant, the ids validated. */
export function userStatusesCollectionPath(
  path: UserStatusPath,
  deviceConfigurationId: string,
): string {
  const prefix = USER_STATUS_PREFIXES[path];
  if (!prefix) throw badUserInput(`Unknown path ${String(path)}.`, 'path');
  const configuration = idSegment('deviceConfigurationId', deviceConfigurationId);
  return [
    '',
    'deviceManagement',
    'deviceConfigurations',
    configuration,
    ...prefix,
    'userStatuses',
  ].join('/');
}

/** The path of one user status, relative to the Graph base URL; both ids validated and encoded. */
export function userStatusPath(location: UserStatusLocation): string {
  const collection = userStatusesCollectionPath(location.path, location.deviceConfigurationId);
  return `${collection}/${idSegment('userStatusId', location.userStatusId)}`;
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

export interface PathClass {
  /** The path variant, or `BATCH` for `$batch` and `OTHER` for anything else. */
  readonly variant: UserStatusPath | 'BATCH' | 'OTHER';
  readonly target: 'item' | 'collection' | 'batch' | 'other';
}

/** Which variant a Graph path is, for metric labels and spans: low cardinality, never an id. */
export function classifyPath(path: string): PathClass {
  const segments = (path.split('?')[0] ?? '').split('/').slice(1);
  if (segments[0] === '$batch') return { variant: 'BATCH', target: 'batch' };
  const statuses = segments.indexOf('userStatuses');
  if (segments[0] !== 'deviceManagement' || segments[1] !== 'deviceConfigurations' || statuses < 3)
    return { variant: 'OTHER', target: 'other' };
  const prefix = segments.slice(3, statuses).join('/');
  const variant = USER_STATUS_PATHS.find((name) => USER_STATUS_PREFIXES[name].join('/') === prefix);
  if (!variant) return { variant: 'OTHER', target: 'other' };
  return { variant, target: segments.length > statuses + 1 ? 'item' : 'collection' };
}
