/**
 * How one failed HTTP exchange is reported: the kind of failure, whether the request may have reached Graph,
 * and a human reason that is safe to show (no token, no proxy credentials, no library message). Pure.
 */

export type HttpFailure =
  'timeout' | 'cancelled' | 'connection' | 'too-large' | 'broken-body' | 'unsupported-encoding';

export interface FailureReport {
  readonly failure: HttpFailure;
  readonly sent: boolean;
  readonly reason: string;
  /** Trying again cannot help (a proxy that refuses our credentials, a certificate not trusted): not worth a retry. */
  readonly permanent?: boolean;
}

/** How far the exchange got: queued or connecting, request written, or answer started. */
export type ExchangePhase = 'connecting' | 'sent' | 'answering';

export interface ConnectionErrorInput {
  /** The error's `code` (Node's `ECONNREFUSED`, undici's `UND_ERR_SOCKET`, …), if any. */
  readonly code: string | undefined;
  /** The code of the error's `cause`, if any: what a wrapping error (undici's `UND_ERR_PRX_TLS`) stands for. */
  readonly causeCode?: string | undefined;
  readonly message: string;
  readonly phase: ExchangePhase;
  /** The proxy this request went through (scheme, host and port only), or null. */
  readonly proxy: string | null;
}

// Codes that say the connection itself could not be made: nothing was sent.
const NOT_CONNECTED: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

// Codes for a request this process refused to send: nothing left, and Graph is not to blame.
const NOT_SENT_HERE: Readonly<Record<string, string>> = {
  UND_ERR_INVALID_ARG: 'it is not a valid HTTP request',
  UND_ERR_DESTROYED: 'the transport is closed',
  UND_ERR_CLOSED: 'the transport is closed',
};

// Node's codes for a TLS certificate that fails verification (https://nodejs.org/api/tls.html#x509-certificate-error-codes,
// and the host-name check's own): the handshake failed, so nothing was sent.
const CERTIFICATE_FAILURES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'UNABLE_TO_GET_CRL',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** undici's code (SecureProxyConnectionError) for a failed TLS connection to a proxy; its `cause` holds Node's. */
const PROXY_TLS_FAILURE = 'UND_ERR_PRX_TLS';

/** A TLS certificate that did not verify: the HTTP module tells one at the proxy apart (PROXY_TLS_FAILURE). */
export function isCertificateFailure(code: string | undefined): boolean {
  return code !== undefined && CERTIFICATE_FAILURES.has(code);
}

// undici's messages when a proxy answers something else than "go ahead": a CONNECT that is not 200, or a 407 to
// an absolute-form request. Only the status is taken from them.
const PROXY_STATUS = /Proxy response \((\d{3})\)|Proxy Authentication Required \((\d{3})\)/;

const STATUS_TEXT: Readonly<Record<string, string>> = {
  '403': ' Forbidden',
  '404': ' Not Found',
  '407': ' Proxy Authentication Required',
  '500': ' Internal Server Error',
  '502': ' Bad Gateway',
  '503': ' Service Unavailable',
};

/** An error code as it may be shown: letters, digits and underscores only. */
function safeCode(code: string | undefined): string {
  return code && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'unknown error';
}

export function proxyRefused(status: number): FailureReport {
  return {
    failure: 'connection',
    sent: false,
    reason: `the egress proxy refused the connection (${status}${STATUS_TEXT[String(status)] ?? ''})`,
    // Refused credentials or a forbidden destination stay refused; a 502/503 from the proxy may pass.
    ...(status === 407 || status === 403 ? { permanent: true } : {}),
  };
}

/**
 * A TLS certificate that did not verify, at the proxy itself or at Graph (directly, or through a proxy's tunnel: a
 * TLS-inspecting proxy presents its own certificate for Graph). Permanent, as a 407 is: the process's trust store
 * (Node's bundle and NODE_EXTRA_CA_CERTS, read at start) does not change, so a retry meets the same verdict.
 */
function certificateFailure(input: ConnectionErrorInput): FailureReport | null {
  if (input.phase !== 'connecting') return null;
  const atProxy = input.proxy !== null && input.code === PROXY_TLS_FAILURE;
  const code = atProxy ? input.causeCode : input.code;
  if (!isCertificateFailure(code)) return null;
  const whose = atProxy
    ? `the egress proxy ${input.proxy}`
    : input.proxy
      ? `Microsoft Graph, as presented through the egress proxy ${input.proxy},`
      : 'Microsoft Graph';
  return {
    failure: 'connection',
    sent: false,
    reason: `the TLS certificate of ${whose} is not trusted (${safeCode(code)})`,
    permanent: true,
  };
}

/** A transport error from the HTTP library, by phase: before, during or after sending. */
export function connectionFailure(input: ConnectionErrorInput): FailureReport {
  const proxyStatus = input.proxy ? PROXY_STATUS.exec(input.message) : null;
  if (proxyStatus) return proxyRefused(Number(proxyStatus[1] ?? proxyStatus[2]));
  const certificate = certificateFailure(input);
  if (certificate) return certificate;
  const notSentHere = input.code ? NOT_SENT_HERE[input.code] : undefined;
  if (notSentHere !== undefined && input.phase === 'connecting')
    return {
      failure: 'connection',
      sent: false,
      reason: `the request was not sent: ${notSentHere}`,
    };
  if (input.phase === 'answering')
    return {
      failure: 'broken-body',
      sent: true,
      reason: 'the connection broke in the middle of the answer',
    };
  const notConnected = input.code ? NOT_CONNECTED[input.code] : undefined;
  if (notConnected !== undefined || input.phase === 'connecting') {
    const what = notConnected ?? `could not connect: ${safeCode(input.code)}`;
    return {
      failure: 'connection',
      sent: false,
      reason: input.proxy
        ? `the egress proxy ${input.proxy} could not be reached or could not reach Graph (${what})`
        : `Microsoft Graph could not be reached (${what})`,
    };
  }
  return {
    failure: 'connection',
    sent: true,
    reason: `the connection closed before Microsoft Graph answered (${safeCode(input.code)})`,
  };
}

export function timeoutFailure(timeoutMs: number, sent: boolean): FailureReport {
  return { failure: 'timeout', sent, reason: `no complete answer within ${timeoutMs} ms` };
}

export function cancelledFailure(sent: boolean): FailureReport {
  return {
    failure: 'cancelled',
    sent,
    reason: sent ? 'the request was cancelled' : 'the request was cancelled before it was sent',
  };
}

export function tooLargeFailure(maxBytes: number): FailureReport {
  return {
    failure: 'too-large',
    sent: true,
    reason: `the answer is larger than ${maxBytes} bytes`,
  };
}

/** A gzip body that does not inflate: corrupt, or cut off although the connection ended cleanly. */
export function corruptGzipFailure(): FailureReport {
  return {
    failure: 'broken-body',
    sent: true,
    reason: 'the answer is marked gzip but does not decompress (corrupt or cut off)',
  };
}

/**
 * A Content-Encoding the gateway did not ask for (it sends `Accept-Encoding: gzip` only): the body cannot be read.
 * Graph did get the request. The coding is named when it reads as one or a few coding names (RFC 9110 §8.4.1),
 * lower-cased; anything else in that header is not repeated.
 */
export function unsupportedEncodingFailure(contentEncoding: string): FailureReport {
  const value = contentEncoding.trim().toLowerCase();
  const named = value.length <= 60 && /^[a-z0-9._+-]+(\s*,\s*[a-z0-9._+-]+)*$/.test(value);
  return {
    failure: 'unsupported-encoding',
    sent: true,
    reason: `the answer is encoded as ${named ? value : 'an unknown coding'} (Content-Encoding), which the gateway did not ask for and cannot read`,
  };
}

/** An error's `code` (Node's, undici's), when it is a string. */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
