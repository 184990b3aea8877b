import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { Client, fetchExchange } from '@urql/core';
import { persistedExchange } from '@urql/exchange-persisted';
import type { DocumentNode } from 'graphql';

/**
 * The persisted-query clients frontends use, as docs/clients.md sets them up, with every HTTP exchange recorded:
 * what the client sent (the document, its hash, both, or a documentId) and the status it got.
 */
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
