import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';

/** One request the proxy was asked to forward (see test/fixtures/proxy-server.mjs). */
export interface ProxyRecord {
  readonly method: string;
  /** Absolute-form URL, or `host:port` for CONNECT. */
  readonly url: string;
  readonly authorized: boolean;
  /** The request came inside TLS to the proxy (an https proxy). */
  readonly tls: boolean;
  readonly sawAuthorization: boolean;
}

export interface ProxyOptions {
  /** `user:password`: the proxy demands them as Basic Proxy-Authorization (407 otherwise). */
  readonly credentials?: string;
  /** The proxy listens with TLS (an `https://` proxy) with this key and certificate. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

export interface ProxyProcess {
  /** `http://127.0.0.1:<port>` (`https://` with TLS), without credentials. */
  readonly origin: string;
  readonly port: number;
  /** Every request the proxy has reported so far, markers excluded. */
  recordsSoFar(): Promise<ProxyRecord[]>;
  stop(): Promise<void>;
}

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'proxy-server.mjs');

/** The real proxy in its own process. */
export async function startProxy(options: ProxyOptions = {}): Promise<ProxyProcess> {
  const child = spawnProxy(options);
  const records: ProxyRecord[] = [];
  const lines = readline.createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`proxy exited with ${code}`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  lines.on('line', (line) => records.push(JSON.parse(line) as ProxyRecord));
  return {
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    recordsSoFar: createRecordsSoFar(port, records, options),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function spawnProxy({ credentials, tls }: ProxyOptions): ChildProcessByStdio<null, Readable, null> {
  return spawn(process.execPath, [FIXTURE], {
    env: {
      PATH: process.env.PATH ?? '',
      ...(credentials ? { PROXY_CREDENTIALS: credentials } : {}),
      ...(tls ? { PROXY_TLS_KEY: tls.key, PROXY_TLS_CERT: tls.cert } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** The proxy reports in order: once a marker sent now is reported, every earlier request has been. */
function createRecordsSoFar(
  port: number,
  records: readonly ProxyRecord[],
  { credentials, tls }: ProxyOptions,
): () => Promise<ProxyRecord[]> {
  let markers = 0;
  const authorization = credentials
    ? { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` }
    : {};
  // The marker goes to an https proxy over TLS too, trusting the proxy's own certificate.
  const markerRequest = (options: https.RequestOptions) =>
    tls ? https.request({ ...options, ca: tls.cert }) : http.request(options);
  return async () => {
    markers += 1;
    const marker = `http://127.0.0.1:1/__marker-${markers}`;
    await new Promise<void>((resolve) => {
      const request = markerRequest({
        host: '127.0.0.1',
        port,
        path: marker,
        headers: authorization,
      });
      request.on('response', (response) => response.resume().on('end', resolve));
      request.on('error', () => resolve());
      request.end();
    });
    while (!records.some((record) => record.url === marker))
      await new Promise((resolve) => setTimeout(resolve, 5));
    return records.filter((record) => !record.url.includes('/__marker-'));
  };
}

/**
 * A self-signed certificate, made now with openssl: for 127.0.0.1 and localhost, or for `altNames` and
 * `commonName` (Node checks a host name against the common name when no DNS alternative name is given).
 */
export function selfSignedCertificate(
  altNames = 'IP:127.0.0.1,DNS:localhost',
  commonName = 'localhost',
): { key: string; cert: string } {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'tls-'));
  try {
    const key = path.join(folder, 'key.pem');
    const cert = path.join(folder, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        `/CN=${commonName}`,
        '-addext',
        `subjectAltName=${altNames}`,
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
