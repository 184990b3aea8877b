/**
 * Persisted operations at `/graphql`, before Apollo: a request that names a trusted document (`documentId` in the
 * POST body or the GET query string, or an APQ hash the manifest holds) runs that document; with
 * GRAPHQL_TRUSTED_DOCUMENTS_ONLY nothing else does. Refusals are answered here, before parsing, so nothing reaches
 * Graph. The decision itself is src/graphql/persisted/resolve.ts; this is the HTTP side of it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resolvePersisted } from '../graphql/persisted/resolve';
import type { PersistedPolicy, Resolution } from '../graphql/persisted/resolve';
import { searchOf } from './apollo-handler';
import type { GraphqlRequestReplacement } from './apollo-handler';

/** The document a request named: its id, its metric label, and for a trusted one what Apollo reads instead. */
export interface PersistedDocumentRef {
  /** For the log line: the manifest's id, or `sha256:<hash>` of an automatic persisted query. */
  readonly id: string;
  /** For the metric: the manifest's id (a bounded set), or `apq` (a hash is the client's choice). */
  readonly label: string;
  readonly replacement?: GraphqlRequestReplacement;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The document this GraphQL request named, once resolved; null when it sent one whole. */
    persistedDocument: PersistedDocumentRef | null;
  }
}

export interface PersistedRouteOptions {
  readonly policy: PersistedPolicy;
  /** Counts each GraphQL request by document label (`none` when it named none) and outcome. */
  readonly observe?: (document: string, outcome: string) => void;
}

type Params = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is Params =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The request's parameters: the POST body, or the GET query string (Fastify's parse of it). */
function paramsOf(request: FastifyRequest): Params {
  const source = request.method === 'GET' ? request.query : request.body;
  return isRecord(source) ? source : {};
}

/** GET carries `extensions` as JSON text; text that is not JSON is Apollo's to refuse. */
function extensionsOf(request: FastifyRequest, params: Params): unknown {
  const raw = params.extensions;
  if (request.method !== 'GET' || typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** The extensions without `persistedQuery` (the trusted document is no APQ registration); others as sent. */
function strippedExtensions(extensions: unknown): { readonly value: Params | undefined } | null {
  if (!isRecord(extensions) || !('persistedQuery' in extensions)) return null;
  const { persistedQuery: _persisted, ...rest } = extensions;
  return { value: Object.keys(rest).length > 0 ? rest : undefined };
}

/** What Apollo reads instead of the request: the trusted document as `query`, the rest as the client sent it. */
function replacementFor(
  request: FastifyRequest,
  params: Params,
  document: string,
): GraphqlRequestReplacement {
  const stripped = strippedExtensions(extensionsOf(request, params));
  if (request.method === 'GET') {
    const search = new URLSearchParams(searchOf(request.url));
    search.delete('documentId');
    search.set('query', document);
    if (stripped?.value) search.set('extensions', JSON.stringify(stripped.value));
    else if (stripped) search.delete('extensions');
    return { body: request.body, search: `?${search.toString()}` };
  }
  const { documentId: _id, ...rest } = params;
  const body: Record<string, unknown> = { ...rest, query: document };
  if (stripped?.value) body.extensions = stripped.value;
  else if (stripped) delete body.extensions;
  return { body, search: searchOf(request.url) };
}

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/**
 * A refusal in GraphQL's error shape, in the media type the client asked for: clients that accept
 * `application/graphql-response+json` (Apollo Client, urql) read a non-2xx answer's errors, codes included, only in
 * it. https://graphql.github.io/graphql-over-http/draft/#sec-application-graphql-response-json
 */
function sendRefusal(
  request: FastifyRequest,
  reply: FastifyReply,
  refusal: Extract<Resolution, { kind: 'refused' }>,
): void {
  const type = request.headers.accept?.includes(GRAPHQL_RESPONSE)
    ? GRAPHQL_RESPONSE
    : 'application/json';
  void reply
    .code(refusal.status)
    // Like Apollo's own persisted query errors: no cache may keep a refusal a later manifest may lift.
    .header('cache-control', 'private, no-cache, must-revalidate')
    .type(`${type}; charset=utf-8`)
    .send({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] });
}

function refFor(
  request: FastifyRequest,
  params: Params,
  resolution: Resolution,
): PersistedDocumentRef | null {
  if (resolution.kind === 'apq') return { id: resolution.id, label: 'apq' };
  if (resolution.kind !== 'trusted') return null;
  const { id, document } = resolution;
  return { id, label: id, replacement: replacementFor(request, params, document) };
}

/** The hooks of `/graphql`'s scope: resolve before the document guards and Apollo, count after the answer. */
export function registerPersistedDocuments(
  scope: FastifyInstance,
  options: PersistedRouteOptions,
): void {
  const { policy, observe } = options;
  scope.decorateRequest('persistedDocument', null);
  scope.addHook('preHandler', (request, reply, done) => {
    if (request.method !== 'GET' && request.method !== 'POST') return done();
    const params = paramsOf(request);
    const resolution = resolvePersisted(
      {
        query: params.query,
        documentId: params.documentId,
        extensions: extensionsOf(request, params),
      },
      policy,
    );
    if (resolution.kind !== 'refused') {
      request.persistedDocument = refFor(request, params, resolution);
      return done();
    }
    observe?.('none', resolution.code);
    sendRefusal(request, reply, resolution);
  });
  if (!observe) return;
  scope.addHook('onResponse', (request, _reply, done) => {
    const state = request.gateway;
    if (state)
      observe(request.persistedDocument?.label ?? 'none', state.summary.errorCodes[0] ?? 'ok');
    done();
  });
}
