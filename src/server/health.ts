import type { FastifyInstance } from 'fastify';

/** Where the gateway is in its life: readiness is true only while it serves and is not draining. */
export interface Lifecycle {
  readonly ready: boolean;
  readonly draining: boolean;
  markReady(): void;
  /**
   * Readiness goes 503 so that load balancers stop sending; in-flight requests still finish. The `onDrain`
   * listeners run (once): the Graph service ends its operations' waits then, so that none holds the shutdown.
   */
  beginDrain(): void;
  /** Runs `listener` when the drain begins (at once if it has). */
  onDrain(listener: () => void): void;
}

export function createLifecycle(): Lifecycle {
  let ready = false;
  let draining = false;
  const listeners: Array<() => void> = [];
  return {
    get ready() {
      return ready && !draining;
    },
    get draining() {
      return draining;
    },
    markReady() {
      ready = true;
    },
    beginDrain() {
      if (draining) return;
      draining = true;
      for (const listener of listeners.splice(0)) listener();
    },
    onDrain(listener) {
      if (draining) listener();
      else listeners.push(listener);
    },
  };
}

/**
 * `GET /healthz`: the process is alive (no upstream check: Graph being down must not restart every pod).
 * `GET /readyz`: 200 while serving, 503 while starting or draining.
 */
export function registerHealthRoutes(app: FastifyInstance, lifecycle: Lifecycle): void {
  app.get('/healthz', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );
  app.get('/readyz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    if (lifecycle.ready) return reply.send({ status: 'ready' });
    return reply.code(503).send({ status: lifecycle.draining ? 'draining' : 'starting' });
  });
}
