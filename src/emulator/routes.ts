import { randomUUID } from 'node:crypto';
import type { Access } from './auth';
import { applySelect, listPage } from './query';
import { USER_STATUS_ODATA_TYPE } from './store';
import type { EmulatedConfiguration, EmulatedUserStatus, EmulatorStore } from './store';

/** What the emulator answers before Graph's headers are added. A `body` object is sent as JSON. */
export interface EmulatorAnswer {
  readonly status: number;
  readonly body?: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EmulatorSettings {
  /** How PATCH answers: Graph's documented 200 with the object, or the 204 many Intune PATCHes really send. */
  patchResponse: 'object' | 'no-content';
}

export interface ResourceRequest {
  readonly method: string;
  /** Decoded path segments after the version root. */
  readonly segments: readonly string[];
  /** The path as sent (still encoded), for links such as `@odata.nextLink`. */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  readonly body: string;
  readonly baseUrl: string;
}

export function graphError(status: number, code: string, message: string): EmulatorAnswer {
  return { status, body: { error: { code, message } } };
}

const WRITABLE: Readonly<Record<string, (value: unknown) => boolean>> = {
  status: (value) =>
    typeof value === 'string' &&
    [
      'unknown',
      'notApplicable',
      'compliant',
      'remediated',
      'nonCompliant',
      'error',
      'conflict',
      'notAssigned',
    ].includes(value),
  lastReportedDateTime: (value) =>
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$/.test(value),
  userDisplayName: (value) => value === null || typeof value === 'string',
  userPrincipalName: (value) => value === null || typeof value === 'string',
  devicesCount: (value) => Number.isInteger(value) && Math.abs(value as number) < 2 ** 31,
};

interface Target {
  readonly configuration: EmulatedConfiguration;
  readonly userStatusId: string | undefined;
}

/** Walks `deviceManagement/deviceConfigurations/{c}[/cast][/link]/userStatuses[/{s}]`. */
function resolveTarget(store: EmulatorStore, segments: readonly string[]): Target | EmulatorAnswer {
  const [root, collection, configurationId, ...rest] = segments;
  if (root !== 'deviceManagement' || collection !== 'deviceConfigurations' || !configurationId)
    return graphError(
      400,
      'BadRequest',
      `Resource not found for the segment '${segments.join('/')}'.`,
    );
  const start = store.configurations.get(configurationId);
  if (!start)
    return graphError(
      404,
      'ResourceNotFound',
      `deviceConfiguration '${configurationId}' was not found.`,
    );
  const statusesAt = rest.indexOf('userStatuses');
  if (statusesAt < 0 || rest.length > statusesAt + 2)
    return graphError(400, 'BadRequest', `Resource not found for the segment '${rest.join('/')}'.`);
  let configuration: EmulatedConfiguration = start;
  for (const segment of rest.slice(0, statusesAt)) {
    if (segment.startsWith('microsoft.graph.')) {
      if (configuration.odataType !== segment.slice('microsoft.graph.'.length))
        return graphError(
          404,
          'ResourceNotFound',
          `deviceConfiguration '${configuration.id}' is not a ${segment}.`,
        );
      continue;
    }
    const linked: string | undefined = configuration.links[segment];
    const next: EmulatedConfiguration | undefined = linked
      ? store.configurations.get(linked)
      : undefined;
    if (!next)
      return graphError(
        404,
        'ResourceNotFound',
        `deviceConfiguration '${configuration.id}' has no ${segment}.`,
      );
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
    const valid = WRITABLE[name];
    if (!valid)
      return {
        ok: false,
        answer: graphError(
          400,
          'BadRequest',
          `Invalid property '${name}' for deviceConfigurationUserStatus.`,
        ),
      };
    if (!valid(value))
      return {
        ok: false,
        answer: graphError(
          400,
          'BadRequest',
          `Cannot convert the literal '${String(value)}' for property '${name}'.`,
        ),
      };
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
  for (const [name, value] of Object.entries(changes)) if (name in WRITABLE) status[name] = value;
}

/** The access a request needs: reads for GET, writes for the rest. */
export function accessFor(method: string): Access {
  return method === 'GET' ? 'read' : 'write';
}

/** Graph's userStatuses operations on the emulated store. */
export function handleUserStatuses(
  store: EmulatorStore,
  settings: EmulatorSettings,
  request: ResourceRequest,
): EmulatorAnswer {
  const target = resolveTarget(store, request.segments);
  if ('status' in target) return target;
  const statuses = store.statusesOf(target.configuration.id);
  if (target.userStatusId === undefined) return handleCollection(statuses, request);
  const existing = statuses.get(target.userStatusId);
  if (!existing)
    return graphError(
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
      if (settings.patchResponse === 'no-content') return { status: 204 };
      return { status: 200, body: representation(existing, request.baseUrl) };
    }
    default:
      return graphError(
        405,
        'MethodNotAllowed',
        `The method ${request.method} is not allowed on a user status.`,
      );
  }
}

function handleCollection(
  statuses: Map<string, EmulatedUserStatus>,
  request: ResourceRequest,
): EmulatorAnswer {
  if (request.method === 'GET')
    return listPage(statuses.values(), request.query, `${request.baseUrl}${request.rawPath}`);
  if (request.method !== 'POST')
    return graphError(
      405,
      'MethodNotAllowed',
      `The method ${request.method} is not allowed on userStatuses.`,
    );
  const write = readWriteBody(request.body);
  if (!write.ok) return write.answer;
  const created = write.changes;
  const id = typeof created.id === 'string' && created.id !== '' ? created.id : randomUUID();
  if (statuses.has(id))
    return graphError(409, 'Conflict', `deviceConfigurationUserStatus '${id}' already exists.`);
  const status: EmulatedUserStatus = {
    id,
    userDisplayName: null,
    userPrincipalName: null,
    devicesCount: 0,
    status: 'unknown',
    lastReportedDateTime: null,
  };
  applyChanges(status, created);
  statuses.set(id, status);
  return { status: 201, body: representation(status, request.baseUrl) };
}
