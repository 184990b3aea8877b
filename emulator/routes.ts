import { randomUUID } from 'node:crypto';
import { graphError, serviceError } from './answer';
import type { EmulatorAnswer } from './answer';
import type { Access } from './auth';
import { CREATED_DEFAULTS, WRITABLE_PROPERTIES } from './properties';
import { applySelect, listPage } from './query';
import { findByKey } from './resource-path';
import type { EmulatorSettings } from './settings';
import { USER_STATUS_ODATA_TYPE } from './store';
import type { EmulatedConfiguration, EmulatedUserStatus, EmulatorStore } from './store';

export interface ResourceRequest {
  readonly method: string;
  /** Decoded path segments after the version root, `name('key')` already split (see `pathSegments`). */
  readonly segments: readonly string[];
  /** The path as sent (still encoded), for links such as `@odata.nextLink`. */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  readonly body: string;
  readonly baseUrl: string;
  readonly settings: EmulatorSettings;
}

/**
 * The navigation properties Graph's beta metadata declares, by type: `rootCertificate` only on the SCEP
 * profiles, `identityCertificate` only on the VPN profiles, none on `deviceConfiguration` itself.
 * https://github.com/microsoftgraph/msgraph-metadata (beta, iosScepCertificateProfile, windows10VpnConfiguration)
 */
const DECLARED_NAVIGATION: Readonly<Record<string, readonly string[]>> = {
  iosScepCertificateProfile: ['rootCertificate'],
  macOSScepCertificateProfile: ['rootCertificate'],
  windows10VpnConfiguration: ['identityCertificate'],
  windowsPhone81VpnConfiguration: ['identityCertificate'],
};

interface Target {
  readonly configuration: EmulatedConfiguration;
  readonly userStatusId: string | undefined;
}

const segmentNotFound = (segment: string) =>
  graphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);

/** One step after the configuration: a type cast, or a navigation to a linked configuration. */
function walk(
  store: EmulatorStore,
  from: EmulatedConfiguration,
  segment: string,
  castTo: string | undefined,
  settings: EmulatorSettings,
): EmulatedConfiguration | EmulatorAnswer {
  if (segment.startsWith('microsoft.graph.')) {
    if (from.odataType === segment.slice('microsoft.graph.'.length)) return from;
    return serviceError(
      404,
      'ResourceNotFound',
      `deviceConfiguration '${from.id}' is not a ${segment}.`,
    );
  }
  if (settings.navigation === 'metadata' && !DECLARED_NAVIGATION[castTo ?? '']?.includes(segment))
    return segmentNotFound(segment);
  const linked: string | undefined = from.links[segment];
  const next = linked ? store.configurations.get(linked) : undefined;
  if (next) return next;
  return serviceError(
    404,
    'ResourceNotFound',
    `deviceConfiguration '${from.id}' has no ${segment}.`,
  );
}

/** Walks `deviceManagement/deviceConfigurations/{c}[/cast][/link]/userStatuses[/{s}]`. */
function resolveTarget(store: EmulatorStore, request: ResourceRequest): Target | EmulatorAnswer {
  const [root, collection, configurationId, ...rest] = request.segments;
  if (root !== 'deviceManagement' || collection !== 'deviceConfigurations' || !configurationId)
    return segmentNotFound(request.segments.join('/'));
  const start = findByKey(store.configurations, configurationId);
  if (!start)
    return serviceError(
      404,
      'ResourceNotFound',
      `deviceConfiguration '${configurationId}' was not found.`,
    );
  const statusesAt = rest.indexOf('userStatuses');
  if (statusesAt < 0 || rest.length > statusesAt + 2) return segmentNotFound(rest.join('/'));
  let configuration: EmulatedConfiguration = start;
  let castTo: string | undefined;
  for (const segment of rest.slice(0, statusesAt)) {
    const next = walk(store, configuration, segment, castTo, request.settings);
    if ('status' in next) return next;
    castTo = segment.startsWith('microsoft.graph.')
      ? segment.slice('microsoft.graph.'.length)
      : undefined;
    configuration = next;
  }
  return { configuration, userStatusId: rest[statusesAt + 1] };
}

type WriteBody =
  | { readonly ok: true; readonly changes: Record<string, unknown> }
  | { readonly ok: false; readonly answer: EmulatorAnswer };

function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // not JSON: Graph's 400 follows
  }
  return undefined;
}

/** A write's JSON object; Graph's 400 for a body that is not one, or for unknown or ill-typed properties. */
function readWriteBody(body: string): WriteBody {
  const changes = parseJsonObject(body);
  if (!changes)
    return {
      ok: false,
      answer: graphError(
        400,
        'BadRequest',
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      ),
    };
  for (const [name, value] of Object.entries(changes)) {
    if (name === '@odata.type' || name === 'id') continue;
    const valid = WRITABLE_PROPERTIES[name];
    const problem = !valid
      ? `Invalid property '${name}' for deviceConfigurationUserStatus.`
      : !valid(value)
        ? `Cannot convert the literal '${String(value)}' for property '${name}'.`
        : undefined;
    if (problem) return { ok: false, answer: serviceError(400, 'BadRequest', problem) };
  }
  return { ok: true, changes };
}

function representation(status: EmulatedUserStatus, baseUrl: string): Record<string, unknown> {
  return {
    '@odata.context': `${baseUrl}/$metadata#deviceManagement/deviceConfigurations('…')/userStatuses/$entity`,
    '@odata.type': USER_STATUS_ODATA_TYPE,
    ...status,
  };
}

function applyChanges(status: EmulatedUserStatus, changes: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(changes))
    if (name in WRITABLE_PROPERTIES) status[name] = value;
}

/** The access a request needs: reads for GET, writes for the rest. */
export function accessFor(method: string): Access {
  return method === 'GET' ? 'read' : 'write';
}

const methodNotAllowed = (method: string, on: string) =>
  graphError(405, 'MethodNotAllowed', `The method ${method} is not allowed on ${on}.`);

/** Graph's userStatuses operations on the emulated store. */
export function handleUserStatuses(store: EmulatorStore, request: ResourceRequest): EmulatorAnswer {
  const target = resolveTarget(store, request);
  if ('status' in target) return target;
  const statuses = store.statusesOf(target.configuration.id);
  if (target.userStatusId === undefined) return handleCollection(statuses, request);
  const existing = findByKey(statuses, target.userStatusId);
  if (!existing)
    return serviceError(
      404,
      'ResourceNotFound',
      `deviceConfigurationUserStatus '${target.userStatusId}' was not found.`,
    );
  switch (request.method) {
    case 'GET':
      return { status: 200, body: applySelect(existing, request.query) };
    case 'DELETE':
      statuses.delete(existing.id);
      return { status: 204 };
    case 'PATCH': {
      const write = readWriteBody(request.body);
      if (!write.ok) return write.answer;
      applyChanges(existing, write.changes);
      if (request.settings.patchResponse === 'no-content') return { status: 204 };
      return { status: 200, body: representation(existing, request.baseUrl) };
    }
    default:
      return methodNotAllowed(request.method, 'a user status');
  }
}

function handleCollection(
  statuses: Map<string, EmulatedUserStatus>,
  request: ResourceRequest,
): EmulatorAnswer {
  if (request.method === 'GET') return listPage(statuses.values(), request);
  if (request.method !== 'POST') return methodNotAllowed(request.method, 'userStatuses');
  const write = readWriteBody(request.body);
  if (!write.ok) return write.answer;
  const created = write.changes;
  const id = typeof created.id === 'string' && created.id !== '' ? created.id : randomUUID();
  if (findByKey(statuses, id))
    return serviceError(409, 'Conflict', `deviceConfigurationUserStatus '${id}' already exists.`);
  const status: EmulatedUserStatus = { id, ...CREATED_DEFAULTS };
  applyChanges(status, created);
  statuses.set(id, status);
  return { status: 201, body: representation(status, request.baseUrl) };
}
