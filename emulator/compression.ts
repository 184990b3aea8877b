/**
 * Compressed answers, as Graph gives them: a client that sends `Accept-Encoding` with gzip gets its larger JSON
 * answers gzipped (`Content-Encoding: gzip`), so a gateway that asks for gzip must really inflate.
 * Content codings: RFC 9110 §8.4 (https://www.rfc-editor.org/rfc/rfc9110#section-8.4); Accept-Encoding: §12.5.3.
 */
import { gzip } from 'node:zlib';

/**
 * Answers smaller than this go uncompressed, as CDNs and web servers do (Azure Front Door compresses from 1 KB:
 * https://learn.microsoft.com/azure/frontdoor/standard-premium/how-to-compression): gzip's own framing makes
 * tiny bodies larger.
 */
export const GZIP_MIN_BYTES = 1024;

/** The q-value of one element of an Accept-Encoding list (`gzip;q=0.5`), 1 when absent. */
function qualityOf(params: readonly string[]): number {
  for (const param of params) {
    const [name, value] = param.split('=').map((part) => part.trim());
    if (name?.toLowerCase() === 'q') return Number(value);
  }
  return 1;
}

/**
 * Whether an Accept-Encoding value lets the answer be gzip: `gzip` or `x-gzip` with a q-value above 0, or `*`
 * above 0 when gzip is not named. Codings are case-insensitive; `gzip;q=0` refuses it (RFC 9110 §12.5.3).
 */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  let wildcard = 0;
  for (const element of acceptEncoding.split(',')) {
    const [coding = '', ...params] = element.split(';');
    const name = coding.trim().toLowerCase();
    const quality = qualityOf(params);
    if (name === 'gzip' || name === 'x-gzip') return quality > 0;
    if (name === '*') wildcard = quality;
  }
  return wildcard > 0;
}

/** Whether this JSON text goes gzipped to a client that sent this Accept-Encoding. */
export function shouldGzip(text: string, acceptEncoding: string | undefined): boolean {
  return Buffer.byteLength(text) >= GZIP_MIN_BYTES && acceptsGzip(acceptEncoding);
}

/**
 * Gzips `text` on the thread pool (the emulator often shares its process with the gateway under test, so no
 * *Sync call blocks it), and gives the bytes with the headers that describe them: the coding, the compressed
 * length, and `Vary` for caches.
 */
export function gzipAnswer(
  text: string,
  headers: Readonly<Record<string, string>>,
  send: (headers: Record<string, string>, body: Buffer, encoding: 'gzip' | null) => void,
): void {
  gzip(text, (error, zipped) => {
    // zlib does not fail on a string it is given whole; if it ever did, the body goes as it is.
    if (error) return send({ ...headers }, Buffer.from(text), null);
    send(
      {
        ...headers,
        'Content-Encoding': 'gzip',
        'Content-Length': String(zipped.length),
        Vary: 'Accept-Encoding',
      },
      zipped,
      'gzip',
    );
  });
}
