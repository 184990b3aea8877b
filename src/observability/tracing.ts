import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { IncomingHttpHeaders } from 'node:http';
import { GATEWAY_NAME, GATEWAY_VERSION } from '../version';

/**
 * The gateway's tracer: the global API's (a no-op) until `startTracing` sets the provider's own, and again after
 * its shutdown. Not the global proxy kept from start-up: that one stays bound to the first provider it reached.
 */
let tracer = trace.getTracer(GATEWAY_NAME, GATEWAY_VERSION);

let tracing = false;

/** Whether spans are recorded; without tracing the hot path skips span and context work altogether. */
export function isTracing(): boolean {
  return tracing;
}

/** Runs an upstream call in a client span when tracing is on; otherwise runs it as it is. */
export async function traceGraphCall<T>(
  name: string,
  attributes: Record<string, string>,
  call: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!tracing) return call(undefined);
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await call(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

export interface TracingOptions {
  /** OTLP/HTTP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT); `/v1/traces` is appended. */
  readonly endpoint?: string;
  /** An exporter of your own (tests use an in-memory one); spans are then exported one by one. */
  readonly exporter?: SpanExporter;
}

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Registers the tracer provider, W3C trace context and async context propagation. The SDK is loaded only here,
 * so a gateway without tracing does not carry it in memory.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const { BatchSpanProcessor, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(
        new OTLPTraceExporter({ url: `${options.endpoint?.replace(/\/$/, '')}/v1/traces` }),
      );
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': GATEWAY_NAME,
      'service.version': GATEWAY_VERSION,
    }),
    spanProcessors: [processor],
  });
  provider.register();
  tracer = provider.getTracer(GATEWAY_NAME, GATEWAY_VERSION);
  tracing = true;
  return {
    shutdown: async () => {
      tracing = false;
      await provider.shutdown();
      // Unregister the globals `register()` set, so tracing can start again in this process (a test, a reload).
      trace.disable();
      context.disable();
      propagation.disable();
      tracer = trace.getTracer(GATEWAY_NAME, GATEWAY_VERSION);
    },
  };
}

/** The caller's W3C `traceparent` (and `tracestate`), so the gateway's spans continue the caller's trace. */
export function callerContext(headers: IncomingHttpHeaders): Context {
  return propagation.extract(context.active(), headers);
}

/** Starts the span of one GraphQL request as a child of the caller's trace. */
export function startOperationSpan(parent: Context): Span {
  return tracer.startSpan('graphql.request', { kind: SpanKind.SERVER }, parent);
}

export function endSpan(span: Span, errorCode: string | null): void {
  if (errorCode) span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
  span.end();
}
