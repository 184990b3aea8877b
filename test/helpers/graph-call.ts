import type { EmulatorSettings, QuotaSettings } from '../../emulator';

/** What one plain HTTP call to the emulator got back; `Body` is the JSON shape the caller expects. */
export interface GraphCallResult<Body = unknown> {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, or `undefined` for an empty body. */
  readonly body: Body;
}

/** Graph's error body. In Intune mode, `message` holds a JSON document of its own. */
export interface GraphErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly innerError: Readonly<Record<string, string>>;
  };
}

/** One page of a Graph collection. */
export interface GraphPage<Item = Record<string, unknown>> {
  readonly value: Item[];
  readonly '@odata.nextLink'?: string;
}

/** One answer in a `$batch` response. */
export interface GraphBatchItem<ItemBody = unknown> {
  readonly id: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: ItemBody;
}

/** A `$batch` response. */
export interface GraphBatchBody<ItemBody = unknown> {
  readonly responses: Array<GraphBatchItem<ItemBody>>;
}

/** The emulator admin API's answer to `GET` and `PATCH /settings`. */
export interface EmulatorAdminState {
  readonly settings: EmulatorSettings;
  readonly quotas: QuotaSettings;
}

export interface GraphCallOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * One real HTTP call (to the emulator or its admin API): `url` absolute, or relative to `base`. `Body` names the
 * JSON shape the test expects back (not checked here: the test's assertions check it).
 */
export async function graphCall<Body = unknown>(
  method: string,
  url: string,
  options: GraphCallOptions = {},
): Promise<GraphCallResult<Body>> {
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
    body: (text === '' ? undefined : JSON.parse(text)) as Body,
  };
}
