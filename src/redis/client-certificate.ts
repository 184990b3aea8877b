import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { ConnectionOptions } from 'node:tls';

/**
 * A client certificate for Redis servers that ask for one (`tls-auth-clients yes`): REDIS_TLS_CERT_FILE and
 * REDIS_TLS_KEY_FILE name PEM files, read once at start and checked to make a certificate with its key, so that a
 * wrong file stops start-up naming its variable instead of failing every handshake later. The key is never echoed.
 */
export interface RedisClientCertificate {
  /** The certificate (PEM), with any intermediates after it. */
  readonly cert: string;
  /** Its private key (PEM, unencrypted). */
  readonly key: string;
}

export type ClientCertificateResult =
  | { readonly ok: true; readonly certificate?: RedisClientCertificate }
  | { readonly ok: false; readonly variable: string; readonly problem: string };

type Env = Readonly<Record<string, string | undefined>>;

const refuse = (variable: string, problem: string): ClientCertificateResult => ({
  ok: false,
  variable,
  problem,
});

/** The file's text, or the reason it cannot be read (its code: the path is the operator's own). */
function readPem(file: string): { text: string } | { problem: string } {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { problem: `cannot be read (${typeof code === 'string' ? code : 'error'}): ${file}` };
  }
}

/** OpenSSL's code for what it refused (ERR_OSSL_PEM_NO_START_LINE, …): never the file's content. */
const codeOf = (error: unknown) => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'unreadable';
};

/** The two files, read and checked together; the certificate first, so a refusal names the file at fault. */
function loadPair(certFile: string, keyFile: string): ClientCertificateResult {
  const cert = readPem(certFile);
  if ('problem' in cert) return refuse('REDIS_TLS_CERT_FILE', cert.problem);
  const key = readPem(keyFile);
  if ('problem' in key) return refuse('REDIS_TLS_KEY_FILE', key.problem);
  try {
    tls.createSecureContext({ cert: cert.text });
  } catch (error) {
    return refuse('REDIS_TLS_CERT_FILE', `is not a PEM certificate (${codeOf(error)})`);
  }
  try {
    tls.createSecureContext({ cert: cert.text, key: key.text });
  } catch (error) {
    return refuse(
      'REDIS_TLS_KEY_FILE',
      `is not the unencrypted PEM private key of REDIS_TLS_CERT_FILE's certificate (${codeOf(error)})`,
    );
  }
  return { ok: true, certificate: { cert: cert.text, key: key.text } };
}

/**
 * REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE, both or neither, and only where TLS is on (`tls`: a rediss://
 * REDIS_URL, or REDIS_TLS=true with REDIS_SENTINELS).
 */
export function readClientCertificate(env: Env, tlsOn: boolean): ClientCertificateResult {
  const certFile = env.REDIS_TLS_CERT_FILE?.trim();
  const keyFile = env.REDIS_TLS_KEY_FILE?.trim();
  if (!certFile && !keyFile) return { ok: true };
  if (!certFile)
    return refuse('REDIS_TLS_CERT_FILE', 'must name the client certificate of REDIS_TLS_KEY_FILE');
  if (!keyFile)
    return refuse(
      'REDIS_TLS_KEY_FILE',
      "must name the private key of REDIS_TLS_CERT_FILE's certificate",
    );
  if (!tlsOn)
    return refuse(
      'REDIS_TLS_CERT_FILE',
      'is only read with TLS to Redis: a rediss:// REDIS_URL, or REDIS_TLS=true with REDIS_SENTINELS',
    );
  return loadPair(certFile, keyFile);
}

/**
 * A TLS connection's options: Node's trust store, NODE_EXTRA_CA_CERTS included (a private CA is trusted that way,
 * at start), and the client certificate when the settings have one.
 */
export function tlsOptions(settings: {
  readonly clientCertificate?: RedisClientCertificate;
}): ConnectionOptions {
  const certificate = settings.clientCertificate;
  return certificate ? { cert: certificate.cert, key: certificate.key } : {};
}
