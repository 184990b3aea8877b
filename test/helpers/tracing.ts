import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracing } from '../../src/observability/tracing';
import type { Tracing } from '../../src/observability/tracing';
import { startHarness } from './harness';
import type { Harness } from './harness';

export interface TracedHarness {
  /** Every span the gateway finished since the test began. */
  readonly exporter: InMemorySpanExporter;
  /** The harness, once the spec's `beforeAll` ran. */
  readonly harness: () => Harness;
  /** The gateway's origin (`http://127.0.0.1:port`), for /metrics, /healthz and /readyz. */
  readonly origin: () => string;
}

/**
 * For a spec that reads spans: tracing into memory and a harness, started before its tests and stopped after them
 * (tracing last, so that no span of the gateway outlives it); spans and the emulator reset before each test.
 */
export function useTracedHarness(env: Record<string, string> = {}): TracedHarness {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing | undefined;
  let harness: Harness | undefined;
  beforeAll(async () => {
    tracing = await startTracing({ exporter });
    harness = await startHarness({ env });
  });
  afterAll(async () => {
    await harness?.close();
    await tracing?.shutdown();
  });
  beforeEach(() => {
    harness?.emulator.reset();
    exporter.reset();
  });
  const started = () => {
    if (!harness) throw new Error('useTracedHarness: the harness starts in beforeAll');
    return harness;
  };
  return {
    exporter,
    harness: started,
    origin: () => started().gateway.url.replace(/\/graphql$/, ''),
  };
}
