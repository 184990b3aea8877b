import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** What the CORS policy depends on (a subset of `Config`). */
export interface CorsOptions {
  /** `NODE_ENV=production`: no origin is allowed unless CORS_ORIGINS names it. */
  readonly production: boolean;
  /** CORS_ORIGINS: when set, exactly these origins, in any mode. */
  readonly corsOrigins: readonly string[];
}

/**
 * A frontend's dev server on this machine (Vite on 5173, Create React App or Next.js on 3000, …): http(s) on
 * localhost, 127.0.0.1 or [::1], any port. Allowed by default outside production only.
 */
export const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** The origins a browser page may call the gateway from. */
export function allowedOrigins(options: CorsOptions): Array<string | RegExp> {
  if (options.corsOrigins.length > 0) return [...options.corsOrigins];
  return options.production ? [] : [LOOPBACK_ORIGIN];
}

/** Whether a page on `origin` may call the gateway (the same test @fastify/cors applies). */
export function isAllowedOrigin(origin: string, allowed: ReadonlyArray<string | RegExp>): boolean {
  return allowed.some((entry) =>
    typeof entry === 'string' ? entry === origin : entry.test(origin),
  );
}

/**
 * CORS on every route, registered in every mode, even with no origin allowed: then every preflight is answered
 * here (204 without `Access-Control-Allow-Origin`, the browser's plain CORS refusal) and never reaches Apollo,
 * whose CSRF prevention would answer an OPTIONS request with a confusing 400. An allowed origin gets its own origin
 * back (with `Vary: Origin`), the headers it asks for, GET and POST. No credentials: callers send a bearer token,
 * never cookies. https://fetch.spec.whatwg.org/#http-cors-protocol
 */
export async function registerCors(app: FastifyInstance, options: CorsOptions): Promise<void> {
  await app.register(cors, {
    origin: allowedOrigins(options),
    methods: ['GET', 'POST'],
    maxAge: 600,
  });
}
