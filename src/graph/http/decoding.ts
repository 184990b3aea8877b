/**
 * The content coding of Graph's answers (RFC 9110 §8.4, https://www.rfc-editor.org/rfc/rfc9110#section-8.4): the
 * gateway asks for gzip, as Microsoft's Graph SDKs do (their CompressionHandler), and inflates it here, as it
 * arrives, with the size cap on what comes out. Part of the HTTP module (src/graph/http/exchange.ts feeds it);
 * it knows zlib and nothing of HTTP clients.
 */
import { createGunzip } from 'node:zlib';
import type { Gunzip } from 'node:zlib';

/** What Content-Encoding says of the body: as sent, gzip, or a coding the gateway cannot read (null). */
export type ContentCoding = 'identity' | 'gzip';

/**
 * The coding named by a Content-Encoding value. Codings are case-insensitive (RFC 9110 §8.4.1) and `x-gzip` is gzip
 * (§8.4.1.3). A list (`gzip, br`: codings applied in turn) is not read: the gateway asked for gzip alone.
 */
export function contentCodingOf(value: string): ContentCoding | null {
  const coding = value.trim().toLowerCase();
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip';
  if (coding === '' || coding === 'identity') return 'identity';
  return null;
}

/** The body once inflated, or why it could not be: past the cap, or not gzip (corrupt, cut off). */
export type Inflated =
  | { readonly ok: true; readonly body: string }
  | { readonly ok: false; readonly problem: 'too-large' | 'corrupt' };

export interface InflateEvents {
  /** Called once, unless `destroy` came first. */
  readonly done: (result: Inflated) => void;
  /** The inflater has taken in what it was given: the body may flow again (see `write`). */
  readonly drain: () => void;
}

/**
 * A gzip body inflated as it arrives, on the thread pool (Node's zlib streams, never the *Sync calls, so a large
 * body does not block the event loop: https://nodejs.org/api/zlib.html#threadpool-usage-and-performance-considerations).
 * zlib's `maxOutputLength` bounds only its convenience methods (https://nodejs.org/api/zlib.html#class-options), so
 * the stream's output is counted here: past `maxBytes` the inflater is destroyed at once, so a gzip bomb costs
 * about `maxBytes` of memory (plus zlib's 32 KiB window and 16 KiB output slab), never what it would inflate to.
 */
export class GzipBody {
  private inflater: Gunzip | null = null;
  private chunks: Buffer[] = [];
  private bytes = 0;
  private over = false;

  constructor(
    private readonly maxBytes: number,
    private readonly events: InflateEvents,
  ) {}

  /**
   * Feeds compressed bytes; `false` asks the caller to pause the body until `drain` (zlib's own backpressure), so
   * that compressed bytes do not pile up ahead of a slower inflater.
   */
  write(chunk: Buffer): boolean {
    if (this.over) return true;
    return (this.inflater ??= this.createInflater()).write(chunk);
  }

  /** The body is complete. No bytes at all is an empty body (a 204 that still names gzip), not a broken one. */
  end(): void {
    if (this.over) return;
    if (this.inflater === null) return this.settle({ ok: true, body: '' });
    this.inflater.end();
  }

  /** The attempt is over (timeout, cancellation, broken connection): stop inflating and let go of the output. */
  destroy(): void {
    this.over = true;
    this.chunks = [];
    this.inflater?.destroy();
  }

  private createInflater(): Gunzip {
    const inflater = createGunzip();
    inflater.on('data', (chunk: Buffer) => {
      if (this.over) return;
      this.bytes += chunk.length;
      if (this.bytes > this.maxBytes) return this.settle({ ok: false, problem: 'too-large' });
      this.chunks.push(chunk);
    });
    inflater.on('end', () => {
      const body =
        this.chunks.length === 1
          ? this.chunks[0]!.toString('utf8')
          : Buffer.concat(this.chunks, this.bytes).toString('utf8');
      this.settle({ ok: true, body });
    });
    // zlib's message is not shown anywhere: the exchange reports a fixed reason.
    inflater.on('error', () => this.settle({ ok: false, problem: 'corrupt' }));
    inflater.on('drain', this.events.drain);
    return inflater;
  }

  private settle(result: Inflated): void {
    if (this.over) return;
    this.destroy();
    this.events.done(result);
  }
}
