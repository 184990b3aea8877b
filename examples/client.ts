/**
 * A small typed client for the gateway: the operations in `examples/operations/` become `TypedDocumentNode`s
 * (`npm run codegen` → `examples/generated/`), so the variables you pass and the data you get are checked by
 * TypeScript against the schema. Codegen also writes `examples/generated/persisted-documents.json`, the manifest of
 * these documents, and gives each document its id (`__meta__.hash`): the client sends that id (`documentId`, the
 * GraphQL-over-HTTP persisted documents proposal), not the document, to a gateway started with
 * `GRAPHQL_TRUSTED_DOCUMENTS` pointing at the manifest (docs/clients.md#persisted-operations).
 */
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

export interface GatewayErrorEntry {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: { readonly code?: string; readonly [key: string]: unknown };
}

/** The GraphQL errors of a response, with their codes (`UNAUTHENTICATED`, `NOT_FOUND`, `THROTTLED`, …). */
export class GatewayRequestError extends Error {
  constructor(
    readonly errors: readonly GatewayErrorEntry[],
    readonly status: number,
  ) {
    super(
      errors.map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}`).join('; '),
    );
    this.name = 'GatewayRequestError';
  }

  get codes(): string[] {
    return this.errors.map((error) => error.extensions?.code ?? 'ERROR');
  }
}

export interface GatewayClientOptions {
  /** The gateway's GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  readonly url: string;
  /** A Microsoft Graph access token; the gateway forwards it to Graph. */
  readonly token: string;
  /**
   * `id` (the default): documents that have a manifest id are sent by id. `document`: always sent whole (a gateway
   * without the manifest).
   */
  readonly send?: 'id' | 'document';
}

/** The id codegen's client preset gives a document with `persistedDocuments: true`. */
export function documentIdOf(document: object): string | undefined {
  const hash = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  return typeof hash === 'string' ? hash : undefined;
}

export interface GatewayClient {
  request<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult>;
}

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const printed = new WeakMap<object, string>();
  const byId = (options.send ?? 'id') === 'id';
  /** `{ documentId }` when the document has one (and ids are sent), else `{ query }`. */
  function named(document: TypedDocumentNode<unknown, never>) {
    const documentId = byId ? documentIdOf(document) : undefined;
    if (documentId) return { documentId };
    let query = printed.get(document);
    if (!query) printed.set(document, (query = print(document)));
    return { query };
  }
  async function request<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult> {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      body: JSON.stringify({ ...named(document), variables }),
    });
    const body = (await response.json()) as { data?: TResult; errors?: GatewayErrorEntry[] };
    if (body.errors?.length || body.data === undefined)
      throw new GatewayRequestError(body.errors ?? [], response.status);
    return body.data;
  }
  return { request };
}
