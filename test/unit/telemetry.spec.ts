import { context } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  endSpan,
  isTracing,
  startOperationSpan,
  startTracing,
  traceGraphCall,
} from '../../src/observability/tracing';

/** One operation span and one Graph-call span, as a request makes them. */
async function makeSpans(): Promise<void> {
  endSpan(startOperationSpan(context.active()), null);
  await traceGraphCall('graph GET LIST', {}, () => Promise.resolve());
}

const names = (exporter: InMemorySpanExporter) =>
  exporter.getFinishedSpans().map((span) => span.name);

describe('tracing', () => {
  it('stops recording at shutdown and starts again with a new exporter (no global left bound to the old one)', async () => {
    const first = new InMemorySpanExporter();
    const second = new InMemorySpanExporter();

    const tracing = await startTracing({ exporter: first });
    await makeSpans();
    const recorded = names(first); // an in-memory exporter forgets its spans at shutdown
    await tracing.shutdown();
    expect(isTracing()).toBe(false);
    await makeSpans();

    const again = await startTracing({ exporter: second });
    await makeSpans();
    const recordedAgain = names(second);
    await again.shutdown();

    expect(recorded).toEqual(['graphql.request', 'graph GET LIST']);
    // Exactly the spans made while the second provider was registered: none from while tracing was off.
    expect(recordedAgain).toEqual(['graphql.request', 'graph GET LIST']);
  });
});
