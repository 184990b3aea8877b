import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { Client, fetchExchange } from '@urql/core';
import { persistedExchange } from '@urql/exchange-persisted';
import type { DocumentNode } from 'graphql';
import type { Gateway, GraphQLResponse } from './harness';
import { MANIFEST } from './manifest';

export { MANIFEST };

/**
 * Persisted operations in tests: this project's own manifest (`npm run codegen`), raw requests by hash or id, and
 * the persisted-query clients frontends use, as docs/clients.md sets them up, with every HTTP exchange recorded:
 * what the client sent (the document, its hash, both, or a documentId) and the status it got.
 */

/** The manifest's entry whose document starts with `prefix`: [id, document]. */
export function manifestEntry(prefix: string): [string, string] {
  const entries = Object.entries(
    JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>,
  );
  return entries.find(([, document]) => document.startsWith(prefix))!;
}

/** `extensions.persistedQuery` naming `text` by its SHA-256. */
export const persistedQuery = (text: string) => ({
  persistedQuery: { version: 1, sha256Hash: sha256(text) },
});

/** A GET to the gateway with these parameters (objects as JSON), with a bearer token and the preflight header. */
export async function getRequest(
  gateway: Gateway,
  params: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<GraphQLResponse> {
  const search = new URLSearchParams(
    Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  const response = await fetch(`${gateway.url}?${search}`, {
    headers: { ...headers, 'apollo-require-preflight': 'true' },
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] };
}

export const codesOf = (response: GraphQLResponse) =>
  response.body.errors?.map((error) => error.extensions?.code);

/** The gateway's Prometheus text. */
export const metricsOf = async (gateway: { readonly url: string }) =>
  (await fetch(gateway.url.replace(/\/graphql$/, '/metrics'))).text();
export interface WireCall {
  readonly method: string;
  readonly status: number;
  readonly sent: string;
}

export interface Wire {
  readonly calls: WireCall[];
  readonly fetch: typeof fetch;
}

/** What a request named its document with: `document`, `hash`, `document+hash` or `documentId`. */
function sentOf(method: string, url: string, body: unknown): string {
  const params: Record<string, unknown> =
    method === 'GET'
      ? Object.fromEntries(new URL(url).searchParams)
      : (JSON.parse(String(body)) as Record<string, unknown>);
  const extensions =
    typeof params.extensions === 'string'
      ? (JSON.parse(params.extensions) as Record<string, unknown>)
      : (params.extensions as Record<string, unknown> | undefined);
  const parts = [
    params.query ? 'document' : null,
    extensions?.persistedQuery ? 'hash' : null,
    params.documentId ? 'documentId' : null,
  ];
  return parts.filter(Boolean).join('+');
}

export function createWire(): Wire {
  const calls: WireCall[] = [];
  const recording: typeof fetch = async (input, init = {}) => {
    const method = init.method ?? 'GET';
    const url = input instanceof Request ? input.url : String(input);
    const response = await fetch(input, init);
    calls.push({ method, status: response.status, sent: sentOf(method, url, init.body) });
    return response;
  };
  return { calls, fetch: recording };
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The APQ hash of a document codegen gave an id (`__meta__.hash`, `sha256:<hex>`): its hex part. */
export const codegenHash = (document: DocumentNode): string =>
  (document as { __meta__?: { hash?: string } }).__meta__!.hash!.replace(/^sha256:/, '');

export interface ApolloOptions {
  readonly token: string;
  readonly wire: Wire;
  /** `useGETForHashedQueries`: hashes of queries by GET. */
  readonly get?: boolean;
  /** Send codegen's ids as the hashes (trusted documents) instead of SHA-256 of the printed documents. */
  readonly codegenIds?: boolean;
  /** false: no persisted-queries link, documents sent whole (Apollo Client's default). */
  readonly persisted?: boolean;
}

/** Apollo Client 4 with its persisted-queries link, the SHA-256 from node:crypto. */
export function apolloClient(url: string, options: ApolloOptions): ApolloClient {
  const http = new HttpLink({
    uri: url,
    headers: { authorization: `Bearer ${options.token}` },
    fetch: options.wire.fetch,
  });
  if (options.persisted === false)
    return new ApolloClient({ link: http, cache: new InMemoryCache() });
  const hashing = options.codegenIds
    ? { generateHash: (document: DocumentNode) => codegenHash(document) }
    : { sha256 };
  const link = new PersistedQueryLink({
    ...hashing,
    useGETForHashedQueries: options.get ?? false,
  }).concat(http);
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

export interface UrqlOptions {
  readonly token: string;
  readonly wire: Wire;
  readonly codegenIds?: boolean;
}

/** urql with its persisted exchange: queries' hashes by GET (with the preflight header), mutations' too. */
export function urqlClient(url: string, options: UrqlOptions): Client {
  const persisted = persistedExchange({
    preferGetForPersistedQueries: true,
    enableForMutation: true,
    ...(options.codegenIds
      ? {
          generateHash: (_query: string, document: DocumentNode) =>
            Promise.resolve(codegenHash(document)),
        }
      : {}),
  });
  return new Client({
    url,
    exchanges: [persisted, fetchExchange],
    fetch: options.wire.fetch,
    requestPolicy: 'network-only',
    fetchOptions: {
      headers: { authorization: `Bearer ${options.token}`, 'apollo-require-preflight': 'true' },
    },
  });
}
