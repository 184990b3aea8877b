import { executeBatch } from './batch';
import { missingTokenError } from './errors';
import { requestWithRetries } from './single';
import type { CallContext } from './attempt';
import { systemClock } from './retry-loop';
import type { GraphClient, GraphService, GraphServiceOptions } from './types';

/** One per gateway: the Graph root, the HTTP transport and the policies. Per request it hands out clients. */
export function createGraphService(options: GraphServiceOptions): GraphService {
  const base = new URL(options.baseUrl);
  const clock = options.clock ?? systemClock;
  return {
    base,
    client: (call) => createGraphClient({ service: options, base, clock, call }),
    close: async () => {
      await Promise.all([options.transport.close(), options.quota?.close()]);
    },
  };
}

function createGraphClient(context: Omit<CallContext, 'authorization'>): GraphClient {
  // The one missing-token check: without a bearer token nothing is ever sent.
  const { authorization } = context.call;
  const withToken = (): CallContext => {
    if (authorization === null) throw missingTokenError();
    return { ...context, authorization };
  };
  return {
    request: async (request) => requestWithRetries(withToken(), request),
    batch: async (items) => executeBatch(withToken(), items),
  };
}
