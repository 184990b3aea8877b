/** What one plain HTTP call to the emulator got back. */
export interface GraphCallResult {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, or `undefined` for an empty body. */
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface GraphCallOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** One real HTTP call (to the emulator or its admin API): `url` absolute, or relative to `base`. */
export async function graphCall(
  method: string,
  url: string,
  options: GraphCallOptions = {},
): Promise<GraphCallResult> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
  };
}
