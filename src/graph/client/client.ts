import { executeBatch } from './batch';
import { missingTokenError } from '../errors';
import { requestWithRetries } from './single';
import type { CallContext } from './attempt';
import { createOperationScope, Drain } from './operation';
import { systemClock } from './retry-loop';
import { createTenantCap } from './tenant-cap';
import { createIdentityCache, createTokenProofs, tokenKey } from '../quota/identity';
import type { GraphClient, GraphService, GraphServiceOptions } from '../types';

/** One per gateway: the Graph root, the HTTP transport and the policies. Per request it hands out clients. */
export function createGraphService(options: GraphServiceOptions): GraphService {
  const base = new URL(options.baseUrl);
  const clock = options.clock ?? systemClock;
  const identities = createIdentityCache();
  const proofs = createTokenProofs();
  const tenantCap = createTenantCap(options, clock);
  const drain = new Drain();
  return {
    base,
    client: (call) =>
      createGraphClient(
        { service: options, base, clock, call, identities, proofs, tenantCap },
        drain,
      ),
    drain: (endsAt) => drain.begin(endsAt),
    close: async () => {
      await Promise.all([options.transport.close(), options.quota?.close()]);
    },
  };
}

/**
 * One operation's client. Its calls share one context, and with it one scope (deadline, cancellation, one timer),
 * both built on the first call: an operation that never reaches Graph allocates neither.
 */
function createGraphClient(
  context: Omit<CallContext, 'authorization' | 'tokenKey' | 'operation'>,
  drain: Drain,
): GraphClient {
  // The one missing-token check: without a bearer token nothing is ever sent.
  const { authorization } = context.call;
  let shared: CallContext | undefined;
  let ended = false;
  const withToken = (): CallContext => {
    if (authorization === null) throw missingTokenError();
    if (shared) return shared;
    const operation = createOperationScope({
      deadline: context.call.deadline,
      clock: context.clock,
      drain,
    });
    if (ended) operation.end();
    return (shared = { ...context, authorization, tokenKey: tokenKey(authorization), operation });
  };
  // A continuation's calls share the operation's scope, with their budget ahead of waiting takes.
  const continuing = (): CallContext => ({ ...withToken(), continuation: true });
  return {
    request: async (request) =>
      requestWithRetries(request.continuation ? continuing() : withToken(), request),
    batch: async (items, options) =>
      executeBatch(options?.continuation ? continuing() : withToken(), items),
    end: () => {
      ended = true;
      shared?.operation.end();
    },
    tokenProven: () =>
      shared !== undefined && context.proofs.isProven(shared.authorization, shared.tokenKey),
  };
}
