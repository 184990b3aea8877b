import { graphError } from './answer';
import type { EmulatorAnswer } from './answer';
import { parseFaultSpec } from './faults';
import type { FaultSwitches } from './faults';
import { maxInWindow, overLimit } from './call-log';
import type { CallFilter, QuotaCall } from './call-log';
import { parseQuotaPatch } from './quota';
import type { QuotaSettings } from './quota';
import { parseSettingsPatch } from './settings';
import type { EmulatorSettings, EmulatorSettingsPatch } from './settings';

/** Where the admin API lives: outside Graph's version roots, so no Graph path can reach it. */
export const ADMIN_ROOT = '/_emulator';

/** A settings change as the admin API and `Emulator.configure` take it. */
export type EmulatorConfigurePatch = EmulatorSettingsPatch & { quotas?: Partial<QuotaSettings> };

/** What the admin API works on: the running emulator's live state. */
export interface AdminTarget {
  readonly settings: EmulatorSettings;
  readonly quotas: QuotaSettings;
  readonly calls: readonly QuotaCall[];
  readonly faults: FaultSwitches;
  configure(patch: EmulatorConfigurePatch): void;
  reset(): void;
}

/** Reads a configure body; throws with a clear message. */
export function parseConfigurePatch(input: unknown): EmulatorConfigurePatch {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new Error('settings must be a JSON object');
  const { quotas, ...settings } = input as Record<string, unknown>;
  return {
    ...parseSettingsPatch(settings),
    ...(quotas === undefined ? {} : { quotas: parseQuotaPatch(quotas) }),
  };
}

const badRequest = (message: string) => graphError(400, 'BadRequest', message);

function jsonBody(body: string): unknown {
  try {
    return JSON.parse(body || '{}');
  } catch {
    throw new Error('the body must be JSON');
  }
}

function filterCalls(calls: readonly QuotaCall[], query: URLSearchParams): QuotaCall[] {
  const tenant = query.get('tenant');
  const app = query.get('app');
  const kind = query.get('kind');
  return calls.filter(
    (call) =>
      (tenant === null || call.tenant === tenant) &&
      (app === null || call.app === app) &&
      (kind === null || kind === 'any' || call.kind === kind),
  );
}

/** `?kind=any|write&tenant=&app=` as a filter of the call log; throws on a bad kind. */
function callFilter(query: URLSearchParams): CallFilter & { kind: 'any' | 'write' } {
  const kind = query.get('kind') ?? 'any';
  if (kind !== 'any' && kind !== 'write') throw new Error('kind must be "any" or "write"');
  return {
    kind,
    ...(query.has('tenant') ? { tenant: query.get('tenant')! } : {}),
    ...(query.has('app') ? { app: query.get('app')! } : {}),
  };
}

function windowMax(target: AdminTarget, query: URLSearchParams): EmulatorAnswer {
  const filter = callFilter(query);
  const rawWindow = query.get('windowMs');
  const windowMs = rawWindow === null ? target.quotas.windowMs : Number(rawWindow);
  if (!Number.isInteger(windowMs) || windowMs < 1)
    return badRequest('windowMs must be a whole number of at least 1');
  const refused = query.get('refused') ?? 'exclude';
  if (refused !== 'exclude' && refused !== 'include')
    return badRequest('refused must be "exclude" or "include"');
  const includeRefused = refused === 'include';
  const max = maxInWindow(target.calls, { windowMs, includeRefused, ...filter });
  return { status: 200, body: { max, windowMs, kind: filter.kind, includeRefused } };
}

const state = (target: AdminTarget) => ({ settings: target.settings, quotas: target.quotas });

type AdminRoute = (target: AdminTarget, query: URLSearchParams, body: string) => EmulatorAnswer;

const ROUTES: Readonly<Record<string, AdminRoute>> = {
  'GET /settings': (target) => ({ status: 200, body: state(target) }),
  'PATCH /settings': (target, _query, body) => {
    target.configure(parseConfigurePatch(jsonBody(body)));
    return { status: 200, body: state(target) };
  },
  'POST /reset': (target) => {
    target.reset();
    return { status: 204 };
  },
  'GET /calls': (target, query) => ({
    status: 200,
    body: { calls: filterCalls(target.calls, query) },
  }),
  'GET /calls/max-in-window': windowMax,
  'GET /calls/over-limit': (target, query) => ({
    status: 200,
    body: { ...overLimit(target.calls, target.quotas, callFilter(query)), quotas: target.quotas },
  }),
  'GET /faults': (target) => ({ status: 200, body: { faults: target.faults.active } }),
  'POST /faults': (target, _query, body) => {
    const spec = (jsonBody(body) as { spec?: unknown } | null)?.spec;
    if (typeof spec !== 'string')
      throw new Error('the body must be {"spec": "METHOD PATH key=value …"}');
    parseFaultSpec(spec).forEach((rule) => target.faults.add(rule));
    return { status: 201, body: { faults: target.faults.active } };
  },
  'DELETE /faults': (target) => {
    target.faults.clear();
    return { status: 204 };
  },
};

/**
 * The emulator's admin API (see docs/emulator.md): settings and mode, reset, the quota call log and its
 * sliding-window maximum, fault switches. `url` is the path and query after `ADMIN_ROOT`.
 */
export function handleAdmin(
  target: AdminTarget,
  method: string,
  url: string,
  body: string,
): EmulatorAnswer {
  const [path = '', search = ''] = url.split('?');
  const route = ROUTES[`${method} ${path}`];
  if (!route) {
    const known = Object.keys(ROUTES).some((key) => key.endsWith(` ${path}`));
    return known
      ? graphError(
          405,
          'MethodNotAllowed',
          `The method ${method} is not allowed on ${ADMIN_ROOT}${path}.`,
        )
      : graphError(404, 'NotFound', `No admin endpoint ${ADMIN_ROOT}${path}.`);
  }
  try {
    return route(target, new URLSearchParams(search), body);
  } catch (error) {
    return badRequest(error instanceof Error ? error.message : String(error));
  }
}
