/**
 * Which document a GraphQL request runs, decided before anything is parsed: the one it sends (`query`), a trusted
 * one it names (`documentId`, or an APQ hash that is in the manifest), or an automatic persisted query left to
 * Apollo Server (a hash alone is looked up, a document with its hash registered after validation). With
 * GRAPHQL_TRUSTED_DOCUMENTS_ONLY, only the trusted ones run.
 *
 * Apollo's APQ protocol: https://www.apollographql.com/docs/apollo-server/performance/apq
 * Codes after Apollo Router's persisted query list: https://www.apollographql.com/docs/graphos/routing/errors
 */
import type { TrustedDocuments } from './manifest';
import { sha256Hex } from './manifest';

/** The codes of the requests refused here, before parsing. */
export enum PersistedErrorCode {
  /** A `documentId` (or, allowlist on, an APQ hash) that the manifest does not hold. HTTP 404. */
  PERSISTED_QUERY_NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST',
  /** Allowlist on: a request that names no trusted document (a document sent whole, or nothing). HTTP 400. */
  PERSISTED_QUERY_ID_REQUIRED = 'PERSISTED_QUERY_ID_REQUIRED',
  /** A document sent with an APQ hash that is not its SHA-256. HTTP 400. */
  PERSISTED_QUERY_HASH_MISMATCH = 'PERSISTED_QUERY_HASH_MISMATCH',
  /** A `documentId` sent to a gateway without a manifest. HTTP 400. */
  PERSISTED_QUERY_NOT_SUPPORTED = 'PERSISTED_QUERY_NOT_SUPPORTED',
  /** A malformed id or `persistedQuery` extension, or two ways of naming the document at once. HTTP 400. */
  BAD_REQUEST = 'BAD_REQUEST',
}

/** What this gateway serves: from the configuration, once. */
export interface PersistedPolicy {
  readonly trusted: TrustedDocuments | null;
  /** GRAPHQL_TRUSTED_DOCUMENTS_ONLY: nothing but the manifest's documents runs. */
  readonly trustedOnly: boolean;
  /** Automatic persisted queries (Apollo's cache) are on. */
  readonly apq: boolean;
}

/** The request's own parameters, as sent (GET: `extensions` already read from its JSON). */
export interface PersistedParams {
  readonly query: unknown;
  readonly documentId: unknown;
  readonly extensions: unknown;
}

export type Resolution =
  /** No id: the document sent whole (or none, which Apollo answers). */
  | { readonly kind: 'inline' }
  /** An automatic persisted query for Apollo; `id` is `sha256:<hash>`. */
  | { readonly kind: 'apq'; readonly id: string }
  /** A document of the manifest: it runs instead of anything the request sent. */
  | { readonly kind: 'trusted'; readonly id: string; readonly document: string }
  | {
      readonly kind: 'refused';
      readonly status: number;
      readonly code: PersistedErrorCode;
      readonly message: string;
    };

const INLINE: Resolution = { kind: 'inline' };
const MAX_ID_LENGTH = 200;
const SHA256_HEX = /^[0-9a-f]{64}$/;

const refuse = (status: number, code: PersistedErrorCode, message: string): Resolution => ({
  kind: 'refused',
  status,
  code,
  message,
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The APQ hash the request names, a reason it is malformed, or undefined when it names none. */
function persistedQueryOf(extensions: unknown): { hash: string } | { problem: string } | undefined {
  if (!isRecord(extensions) || extensions.persistedQuery === undefined) return undefined;
  const persisted = extensions.persistedQuery;
  if (!isRecord(persisted) || persisted.version !== 1)
    return {
      problem: 'extensions.persistedQuery must be { "version": 1, "sha256Hash": "<hex>" }.',
    };
  const hash = persisted.sha256Hash;
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash))
    return {
      problem: 'extensions.persistedQuery.sha256Hash must be 64 lower-case hexadecimal characters.',
    };
  return { hash };
}

/** A `documentId` (GraphQL over HTTP's persisted documents): only the manifest's documents have one. */
function byDocumentId(
  id: unknown,
  sendsQuery: boolean,
  namesHash: boolean,
  policy: PersistedPolicy,
): Resolution {
  if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH)
    return refuse(
      400,
      PersistedErrorCode.BAD_REQUEST,
      `documentId must be a document identifier: a string of 1 to ${MAX_ID_LENGTH} characters.`,
    );
  if (sendsQuery || namesHash)
    return refuse(
      400,
      PersistedErrorCode.BAD_REQUEST,
      'Name the document one way: a documentId, an extensions.persistedQuery hash or a query, not several.',
    );
  if (!policy.trusted)
    return refuse(
      400,
      PersistedErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
      'This gateway has no trusted documents (GRAPHQL_TRUSTED_DOCUMENTS is not set): send the document as query.',
    );
  const document = policy.trusted.byId(id);
  if (document !== undefined) return { kind: 'trusted', id, document };
  return refuse(
    404,
    PersistedErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
    `Persisted query '${id}' not found in the trusted documents.`,
  );
}

/** An APQ hash: a trusted document when the manifest has it, else Apollo's automatic persisted queries. */
function byHash(
  hash: string,
  query: unknown,
  sendsQuery: boolean,
  policy: PersistedPolicy,
): Resolution {
  const entry = policy.trusted?.byHash(hash);
  // APQ off and not a trusted document: Apollo answers PERSISTED_QUERY_NOT_SUPPORTED, and clients resend the
  // document (Apollo Client's link and urql's exchange do so by themselves).
  if (!entry && !policy.apq && !policy.trustedOnly) return INLINE;
  if (sendsQuery && (typeof query !== 'string' || sha256Hex(query) !== hash))
    return refuse(
      400,
      PersistedErrorCode.PERSISTED_QUERY_HASH_MISMATCH,
      'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it.',
    );
  if (entry) return { kind: 'trusted', id: entry.id, document: entry.document };
  if (policy.trustedOnly)
    return refuse(
      404,
      PersistedErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
      sendsQuery
        ? `Automatic persisted queries register nothing here: only the trusted documents run (GRAPHQL_TRUSTED_DOCUMENTS_ONLY), and 'sha256:${hash}' is not one of them.`
        : `Persisted query 'sha256:${hash}' not found in the trusted documents.`,
    );
  return { kind: 'apq', id: `sha256:${hash}` };
}

/** Decides what a request runs, from its parameters alone: nothing is parsed, nothing reaches Graph. */
export function resolvePersisted(params: PersistedParams, policy: PersistedPolicy): Resolution {
  const { query, documentId } = params;
  const sendsQuery = query !== undefined && query !== null && query !== '';
  const persisted = persistedQueryOf(params.extensions);
  if (documentId !== undefined && documentId !== null)
    return byDocumentId(documentId, sendsQuery, persisted !== undefined, policy);
  if (persisted && 'problem' in persisted)
    return refuse(400, PersistedErrorCode.BAD_REQUEST, persisted.problem);
  if (persisted) return byHash(persisted.hash, query, sendsQuery, policy);
  if (!policy.trustedOnly) return INLINE;
  return refuse(
    400,
    PersistedErrorCode.PERSISTED_QUERY_ID_REQUIRED,
    sendsQuery
      ? 'This gateway runs only its trusted documents (GRAPHQL_TRUSTED_DOCUMENTS_ONLY): send a documentId instead of the document.'
      : 'This gateway runs only its trusted documents (GRAPHQL_TRUSTED_DOCUMENTS_ONLY): name one with documentId.',
  );
}
