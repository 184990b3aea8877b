import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { IncomingHttpHeaders } from 'node:http';
import { GATEWAY_NAME, GATEWAY_VERSION } from './version';

/** Spans go through the global OpenTelemetry API: a no-op until `startTracing` registers a provider. */
export const tracer = trace.getTracer(GATEWAY_NAME, GATEWAY_VERSION);

export interface TracingOptions {
  /** OTLP/HTTP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT); `/v1/traces` is appended. */
  readonly endpoint?: string;
  /** An exporter of your own (tests use an in-memory one); spans are then exported one by one. */
  readonly exporter?: SpanExporter;
}

export interface Tracing {
  shutdown(): Promise<void>;
}

/** Registers the tracer provider, W3C trace context and async context propagation. */
export function startTracing(options: TracingOptions): Tracing {
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
  return { shutdown: () => provider.shutdown() };
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
