/**
 * A small typed client for the gateway: the operations in `examples/operations/` become `TypedDocumentNode`s
 * (`npm run codegen` → `examples/generated/`), so the variables you pass and the data you get are checked by
 * TypeScript against the schema.
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
}

export interface GatewayClient {
  request<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult>;
}

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const printed = new WeakMap<object, string>();
  async function request<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult> {
    let query = printed.get(document);
    if (!query) printed.set(document, (query = print(document)));
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: TResult; errors?: GatewayErrorEntry[] };
    if (body.errors?.length || body.data === undefined)
      throw new GatewayRequestError(body.errors ?? [], response.status);
    return body.data;
  }
  return { request };
}
