import { randomUUID } from 'node:crypto';
import { graphError, serviceError, withInnerError } from './answer';
import type { AnswerIds, EmulatorAnswer } from './answer';
import { callerIdentity, checkAccess } from './auth';
import type { BatchRequestItem, FailedDependency } from './batch';
import type { FaultSwitches } from './faults';
import { faultError } from './http';
import { intuneUrlPath, wrapIntuneError } from './intune';
import type { QuotaCall } from './call-log';
import type { QuotaLimiter } from './quota';
import { pathSegments } from './resource-path';
import { accessFor, handleUserStatuses } from './routes';
import type { EmulatorSettings } from './settings';
import type { EmulatorStore } from './store';

/** The running emulator's state, as its resources (user statuses, quotas, faults) need it. */
export interface ResourcesState {
  readonly store: EmulatorStore;
  readonly settings: EmulatorSettings;
  readonly faults: FaultSwitches;
  readonly limiter: QuotaLimiter;
  readonly calls: QuotaCall[];
  readonly callLogLimit: number;
  readonly now: () => number;
  readonly random: () => number;
  /** `http://127.0.0.1:<port>/beta`, known once the server listens. */
  baseUrl(): string;
}

/** One resource call, alone or as a `$batch` item. */
export interface ResourceCall {
  readonly method: string;
  /** After the version root, query included. */
  readonly url: string;
  readonly body: string;
  readonly authorization: string | undefined;
  readonly batched: boolean;
}

export interface EmulatedResources {
  /** A resource call's answer, before `finish`. */
  resource(call: ResourceCall): EmulatorAnswer;
  /**
   * A `$batch` item's finished answer, with its own request id (never the envelope's); 424 without running it when
   * an item it depends on `failed`.
   */
  batchItem(
    item: BatchRequestItem,
    authorization: string | undefined,
    failed?: FailedDependency,
  ): EmulatorAnswer;
  /** An answer as the current mode sends it: Intune's wrapping on service errors, then `innerError`. */
  finish(answer: EmulatorAnswer, ids: AnswerIds, url: string): EmulatorAnswer;
}

/** Retry-After in seconds from a whole number of ms: `0.75`, or `2` when the limiter rounded to whole seconds. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.ceil(ms) / 1000);
}

/** What a dependent item gets when an item it depends on failed (the wording is the emulator's). */
export function failedDependency(failed: FailedDependency): EmulatorAnswer {
  return graphError(
    424,
    'FailedDependency',
    `The request depends on request '${failed.id}', which failed with status ${failed.status}.`,
  );
}

export function createEmulatedResources(state: ResourcesState): EmulatedResources {
  /** Logs the call and takes its budget; a 429 when there is none. */
  function charge(call: ResourceCall): { entry: QuotaCall; refusal?: EmulatorAnswer } {
    const caller = callerIdentity(call.authorization);
    const kind = accessFor(call.method);
    const decision = state.limiter.take(caller, kind);
    const entry: QuotaCall = {
      at: state.now(),
      ...caller,
      method: call.method,
      kind,
      path: call.url.split('?')[0] ?? '',
      batched: call.batched,
      refused: !decision.ok,
    };
    state.calls.push(entry);
    // Trimmed a tenth at a time, so a full log does not shift 100 000 entries on every call.
    if (state.calls.length > state.callLogLimit)
      state.calls.splice(0, state.calls.length - Math.floor(state.callLogLimit * 0.9));
    if (decision.ok) return { entry };
    const throttled = serviceError(
      429,
      'TooManyRequests',
      `Too many requests: the ${decision.limit} quota is used up for this window.`,
    );
    // Intune leaves Retry-After out of some 429s: never with throttleRetryAfter off, else a share of them.
    const { throttleRetryAfter, retryAfterMissing } = state.settings;
    const withRetryAfter =
      throttleRetryAfter && (retryAfterMissing === 0 || state.random() >= retryAfterMissing);
    const headers: Record<string, string> = withRetryAfter
      ? { 'Retry-After': retryAfterSeconds(decision.retryAfterMs) }
      : {};
    return { entry, refusal: { ...throttled, headers } };
  }

  function resource(call: ResourceCall): EmulatorAnswer {
    const denied = checkAccess(call.authorization, accessFor(call.method), Date.now());
    if (denied) return graphError(denied.status, denied.code, denied.message);
    const { entry, refusal } = charge(call);
    const answer = refusal ?? route(call);
    entry.status = answer.status;
    return answer;
  }

  function route(call: ResourceCall): EmulatorAnswer {
    const [rawPath = '', search = ''] = call.url.split('?');
    const segments = pathSegments(rawPath);
    if (!segments) return graphError(400, 'BadRequest', 'The request URI is not valid.');
    return handleUserStatuses(state.store, {
      method: call.method,
      segments,
      rawPath,
      query: new URLSearchParams(search),
      body: call.body,
      baseUrl: state.baseUrl(),
      settings: state.settings,
    });
  }

  function finish(answer: EmulatorAnswer, ids: AnswerIds, url: string): EmulatorAnswer {
    const wrapped =
      state.settings.errors === 'intune' && answer.fromService
        ? wrapIntuneError(answer, { activityId: ids.clientRequestId, path: intuneUrlPath(url) })
        : answer;
    return withInnerError(wrapped, ids, new Date(state.now()));
  }

  function batchItem(
    item: BatchRequestItem,
    authorization: string | undefined,
    failed?: FailedDependency,
  ): EmulatorAnswer {
    const requestId = randomUUID();
    const ids = { requestId, clientRequestId: item.headers['client-request-id'] ?? requestId };
    // Never run: it reaches neither the fault switches nor Intune, so it is neither logged nor counted.
    if (failed) return finish(failedDependency(failed), ids, item.url);
    const rule = state.faults.take(item.method, item.url.split('?')[0] ?? item.url);
    if (rule?.status !== undefined && rule.status >= 400) {
      const answer = finish(faultError(rule.status), ids, item.url);
      return rule.retryAfter ? { ...answer, headers: { 'Retry-After': rule.retryAfter } } : answer;
    }
    const call = {
      method: item.method,
      url: item.url,
      body: item.body,
      authorization,
      batched: true,
    };
    return finish(resource(call), ids, item.url);
  }

  return { resource, batchItem, finish };
}
