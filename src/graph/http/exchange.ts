/**
 * One attempt at a Graph call as an undici dispatch handler: the answer collected up to the size cap, the
 * attempt's own timer or its operation's watcher, the caller's cancellation, and every outcome a value. Part of
 * the HTTP module (src/graph/http/transport.ts). A gzip answer is inflated as it arrives (decoding.ts).
 */
import type { Dispatcher } from 'undici';
import { GzipBody, contentCodingOf } from './decoding';
import type { Inflated } from './decoding';
import {
  cancelledFailure,
  codeOf,
  connectionFailure,
  corruptGzipFailure,
  proxyRefused,
  timeoutFailure,
  tooLargeFailure,
  unsupportedEncodingFailure,
} from './failures';
import type { ExchangePhase, FailureReport } from './failures';
import type { Route } from './routes';
import type { HttpOutcome, HttpRequest, WatchedAttempt } from './types';

type FoldedHeaders = Record<string, string | undefined>;

/** Response headers with lower-case names (undici's already are), repeated ones joined as HTTP folds them. */
function foldHeaders(headers: Record<string, string | string[] | undefined>): FoldedHeaders {
  const folded: FoldedHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    folded[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return folded;
}

/**
 * One attempt as an undici dispatch handler (https://github.com/nodejs/undici/blob/main/docs/docs/api/Dispatcher.md),
 * timed and cancelled by its operation (its watcher). Settles once; later events (an abort's echo) are ignored.
 */
export class Exchange implements Dispatcher.DispatchHandler, WatchedAttempt {
  readonly outcome: Promise<HttpOutcome>;
  private resolve!: (outcome: HttpOutcome) => void;
  private controller: Dispatcher.DispatchController | null = null;
  private phase: ExchangePhase = 'connecting';
  private settled = false;
  /** The adapter ran: the outcome will come. */
  started = false;
  private status = 0;
  private headers: FoldedHeaders = {};
  private chunks: Buffer[] = [];
  private bytes = 0;
  /** Set for a gzip answer: its body goes to the inflater instead of `chunks`. */
  private gzip: GzipBody | null = null;
  /** Set by the operation's watcher. */
  expiresAt = Infinity;
  /** When Graph began answering (`Date.now()`): an answer's length of time is what the outcome reports. */
  private answeredAt = 0;

  constructor(
    private readonly request: HttpRequest,
    private readonly route: Route,
    private readonly maxBytes: number,
  ) {
    this.outcome = new Promise((resolve) => (this.resolve = resolve));
  }

  start(): void {
    this.started = true;
    const { request } = this;
    if (!request.watcher.track(this, request.timeoutMs)) return this.cancel();
    const { url } = request;
    try {
      this.route.dispatcher.dispatch(
        {
          origin: url.origin,
          path: url.pathname + url.search,
          method: request.method,
          // undici's proxy agent adds `host` to the headers it is given: give it its own copy.
          headers: this.route.proxy === null ? request.headers : { ...request.headers },
          body: request.body ?? null,
        },
        this,
      );
    } catch (error) {
      this.onResponseError(null, error as Error);
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.settled) return controller.abort(new Error('attempt over'));
    this.controller = controller;
    this.phase = 'sent';
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200 || this.settled) return; // 1xx: informational, the answer follows
    // 407 only ever comes from a proxy (RFC 9110 §15.5.8): the request did not go further.
    if (statusCode === 407) return this.fail(proxyRefused(407));
    const length = Number(headers['content-length']);
    if (length > this.maxBytes) return this.fail(tooLargeFailure(this.maxBytes));
    this.phase = 'answering';
    this.answeredAt = Date.now();
    this.status = statusCode;
    this.headers = foldHeaders(headers);
    // The one check an uncompressed answer pays.
    const encoding = this.headers['content-encoding'];
    if (encoding !== undefined) this.decode(encoding);
  }

  /** An answer with a Content-Encoding: inflated if gzip, refused if the gateway cannot read it. */
  private decode(encoding: string): void {
    const coding = contentCodingOf(encoding);
    if (coding === null) return this.fail(unsupportedEncodingFailure(encoding));
    if (coding === 'identity') return;
    this.gzip = new GzipBody(this.maxBytes, {
      done: (result) => this.inflated(result),
      // Never called from inside undici's parser (zlib's callbacks are asynchronous), and not once the attempt is over.
      drain: () => {
        if (!this.settled) this.controller?.resume();
      },
    });
    // What the exchange reports is the inflated body: its coding and compressed length no longer describe it.
    delete this.headers['content-encoding'];
    delete this.headers['content-length'];
  }

  private inflated(result: Inflated): void {
    if (result.ok)
      return this.finish({
        ok: true,
        status: this.status,
        headers: this.headers,
        body: result.body,
        answeringMs: Date.now() - this.answeredAt,
      });
    this.fail(
      result.problem === 'too-large' ? tooLargeFailure(this.maxBytes) : corruptGzipFailure(),
    );
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    // The cap holds for the bytes received (compressed or not) and, in the inflater, for the inflated body.
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return this.fail(tooLargeFailure(this.maxBytes));
    if (this.gzip === null) this.chunks.push(chunk);
    else if (!this.gzip.write(chunk)) controller.pause(); // resumed by the inflater's drain
  }

  onResponseEnd(): void {
    if (this.settled) return;
    // The outcome comes when the inflater is done (its `done`), still under its operation's timer and cancellation.
    if (this.gzip !== null) return this.gzip.end();
    const body =
      this.chunks.length === 1
        ? this.chunks[0]!.toString('utf8')
        : Buffer.concat(this.chunks, this.bytes).toString('utf8');
    const answeringMs = Date.now() - this.answeredAt;
    this.finish({ ok: true, status: this.status, headers: this.headers, body, answeringMs });
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (this.settled) return;
    this.finish({
      ok: false,
      ...connectionFailure({
        code: codeOf(error),
        causeCode: codeOf(error.cause),
        message: error.message,
        phase: this.phase,
        proxy: this.route.proxy,
      }),
    });
  }

  /** The attempt's time is up. */
  expire(): void {
    this.fail(timeoutFailure(this.request.timeoutMs, this.phase !== 'connecting'));
  }

  /** The caller gave up. */
  cancel(): void {
    this.fail(cancelledFailure(this.phase !== 'connecting'));
  }

  /** Ends the attempt early: the outcome is known now, and undici stops (at once, or as soon as it starts). */
  private fail(report: FailureReport): void {
    if (this.settled) return;
    this.finish({ ok: false, ...report });
    this.controller?.abort(new Error(report.failure));
  }

  private finish(outcome: HttpOutcome): void {
    this.settled = true;
    this.request.watcher.untrack(this);
    this.chunks = [];
    if (this.gzip !== null) {
      this.gzip.destroy();
      this.gzip = null;
    }
    this.resolve(outcome);
  }
}
