import { errorOf } from './answer';
import type { EmulatorAnswer } from './answer';
import { intunePath, pathSegments } from './resource-path';

/** Intune's codes do not follow the status (`InternalError` on a 400 or a 404): gateways must map by status. */
export function intuneCode(status: number): string {
  if (status === 429) return 'TooManyRequests';
  if (status === 503) return 'ServiceUnavailable';
  return 'InternalError';
}

export interface IntuneErrorContext {
  /** Intune reports the caller's `client-request-id` as its Activity ID. */
  readonly activityId: string;
  /** The path after the version root, as Intune spells it (see `intunePath`). */
  readonly path: string;
}

/**
 * An error as Intune's service writes it behind Graph: `error.message` is itself a JSON document (CRLF,
 * two-space indent) whose `Message` carries the operation id, the activity id and Intune's internal URL.
 * Seen in Graph answers for Intune, e.g. https://learn.microsoft.com/mem/intune/developer/intune-graph-apis
 */
export function wrapIntuneError(
  answer: EmulatorAnswer,
  context: IntuneErrorContext,
): EmulatorAnswer {
  const error = errorOf(answer);
  if (!error) return answer;
  const url = `https://fef.msua06.manage.microsoft.com/DeviceConfiguration_2502/StatelessDeviceConfigurationFEService${context.path}?api-version=5025-02-06`;
  const inner = {
    _version: 3,
    Message: `${error.message} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: ${context.activityId} - Url: ${url}`,
    CustomApiErrorPhrase: '',
    RetryAfter: null,
    ErrorSourceService: '',
    HttpHeaders: '{}',
  };
  const message = JSON.stringify(inner, null, 2).replace(/\n/g, '\r\n');
  return {
    ...answer,
    body: { ...answer.body, error: { ...error, code: intuneCode(answer.status), message } },
  };
}

/**
 * Where a page starts: `$skiptoken` as the emulator writes it in either mode (`skipCount=N`, Intune's
 * `$skiptoken=skipCount%3dN` once decoded, or a plain `N`), else `$skip`. `undefined` when it is not readable.
 */
export function pageOffset(query: URLSearchParams): number | undefined {
  const token = query.get('$skiptoken');
  const raw = token === null ? (query.get('$skip') ?? '0') : token.replace(/^skipCount=/i, '');
  if (!/^\d{1,9}$/.test(raw)) return undefined;
  return Number(raw);
}

/** The path Intune names in its error messages: the request's path in Intune's spelling, no query. */
export function intuneUrlPath(relativeUrl: string): string {
  const path = relativeUrl.split('?')[0] ?? '';
  const segments = pathSegments(path);
  return segments?.[1] === 'deviceConfigurations' && segments[2] ? intunePath(segments) : path;
}
