import { Counter, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from '../../src/observability/series-metrics';

/** The same updates into prom-client's metrics and ours, each in its own registry: the same export. */
function twins(contentType?: string) {
  const theirs = new Registry();
  const ours = new Registry();
  if (contentType) {
    theirs.setContentType(contentType as never);
    ours.setContentType(contentType as never);
  }
  const counter = {
    name: 'calls_total',
    help: 'Calls by method and status.',
    labelNames: ['method', 'status'] as const,
  };
  const histogram = {
    name: 'call_seconds',
    help: 'Call latency.',
    labelNames: ['method'] as const,
    buckets: [0.01, 0.1, 1],
  };
  return {
    theirs,
    ours,
    counters: [
      new Counter({ ...counter, labelNames: [...counter.labelNames], registers: [theirs] }),
      new SeriesCounter({ ...counter, registers: [ours] }),
    ] as const,
    histograms: [
      new Histogram({ ...histogram, labelNames: [...histogram.labelNames], registers: [theirs] }),
      new SeriesHistogram({ ...histogram, registers: [ours] }),
    ] as const,
  };
}

type Update =
  | { readonly inc: { method: string; status: string }; readonly by?: number }
  | { readonly observe: { method: string }; readonly value: number };

const UPDATES: ReadonlyArray<readonly [string, readonly Update[]]> = [
  ['nothing yet', []],
  [
    'counts by label set, in the order the sets came',
    [
      { inc: { method: 'PATCH', status: '200' } },
      { inc: { method: 'GET', status: '404' }, by: 2 },
      { inc: { method: 'PATCH', status: '200' }, by: 0.5 },
    ],
  ],
  [
    'observations on bounds, between them, above all and at zero',
    [
      { observe: { method: 'GET' }, value: 0.01 },
      { observe: { method: 'GET' }, value: 0.05 },
      { observe: { method: 'PATCH' }, value: 3 },
      { observe: { method: 'GET' }, value: 0 },
      { observe: { method: 'GET' }, value: 1 },
      { observe: { method: 'GET' }, value: 0.1 + 0.2 },
    ],
  ],
  [
    'label values that need escaping, or hold a NUL',
    [
      { inc: { method: 'x\u0000', status: 'y' } },
      { inc: { method: 'a"b\\c\nd', status: '' } },
      { observe: { method: 'a"b\\c\nd' }, value: 0.2 },
    ],
  ],
];

describe('SeriesCounter and SeriesHistogram', () => {
  it.each(UPDATES)('export as prom-client does: %s', async (_name, updates) => {
    for (const contentType of [undefined, Registry.OPENMETRICS_CONTENT_TYPE]) {
      const { theirs, ours, counters, histograms } = twins(contentType);
      for (const update of updates) {
        if ('inc' in update) {
          counters[0].inc(update.inc, update.by);
          counters[1].inc(update.inc, update.by);
        } else {
          histograms[0].observe(update.observe, update.value);
          histograms[1].observe(update.observe, update.value);
        }
      }
      expect(await ours.metrics()).toBe(await theirs.metrics());
      expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    }
  });

  it('start again from nothing on reset, as prom-client does', async () => {
    const { theirs, ours, counters, histograms } = twins();
    for (const metric of [...counters, ...histograms]) {
      if ('inc' in metric) metric.inc({ method: 'GET', status: '200' });
      else metric.observe({ method: 'GET' }, 0.5);
    }
    theirs.resetMetrics();
    ours.resetMetrics();
    counters[1].inc({ method: 'POST', status: '201' });
    counters[0].inc({ method: 'POST', status: '201' });
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it.each([
    [
      'a label the metric does not have',
      () => counter().inc({ method: 'GET', status: '200', id: 'x' } as never),
      'calls_total: label "id" is not one of its labels',
    ],
    [
      'a negative count',
      () => counter().inc({ method: 'GET', status: '200' }, -1),
      'cannot add -1',
    ],
    [
      'an observation that is not a number',
      () => histogram().observe({ method: 'GET' }, Number.NaN),
      'cannot observe NaN',
    ],
  ])('refuse %s', (_name, update, message) => {
    expect(update).toThrow(message);
  });

  it('keep label sets apart whatever their values hold', () => {
    const metric = counter();
    metric.inc({ method: 'ab', status: 'c' });
    metric.inc({ method: 'a', status: 'bc' });
    metric.inc({ method: 'x\u0000', status: 'y' });
    metric.inc({ method: 'x', status: '\u0000y' });
    expect(metric.get().values.map((value) => value.value)).toEqual([1, 1, 1, 1]);
    expect(metric.get().values[1]!.labels).toEqual({ method: 'a', status: 'bc' });
  });

  it('keep one series per label set, checked once: later updates reuse it', () => {
    const metric = counter();
    const labels = { method: 'GET', status: '200' };
    for (let index = 0; index < 1000; index += 1) metric.inc(labels);
    metric.inc({ status: '200', method: 'GET' });
    expect(metric.get().values).toEqual([{ labels, value: 1001 }]);
    expect(metric.get().values[0]!.labels).not.toBe(labels);
  });
});

function counter() {
  return new SeriesCounter({
    name: 'calls_total',
    help: 'Calls.',
    labelNames: ['method', 'status'] as const,
    registers: [],
  });
}

function histogram() {
  return new SeriesHistogram({
    name: 'call_seconds',
    help: 'Latency.',
    labelNames: ['method'] as const,
    buckets: [1],
    registers: [],
  });
}

// prom-client refuses these at construction, so a wrong metric fails at start; built, they would write a scrape
// Prometheus rejects as a whole (every gateway metric lost), or collide with the `le` every bucket line carries.
describe('SeriesCounter and SeriesHistogram refuse at construction what prom-client refuses', () => {
  it.each([
    ['a metric name Prometheus rejects', { name: 'calls-total', labelNames: ['method'] }],
    ['a label name Prometheus rejects', { name: 'calls_total', labelNames: ['http method'] }],
  ])('%s', (_name, options) => {
    const config = { ...options, help: 'Calls.', registers: [] };
    expect(() => new Counter(config)).toThrow();
    expect(() => new SeriesCounter(config)).toThrow();
  });

  it('the reserved label `le` on a histogram', () => {
    // Built, every bucket line of it would carry `le` twice: `call_seconds_bucket{le="1",le="5"} 1`.
    const config = { name: 'call_seconds', help: 'Latency.', labelNames: ['le'], buckets: [1] };
    expect(() => new Histogram({ ...config, registers: [] })).toThrow(
      'le is a reserved label keyword',
    );
    expect(() => new SeriesHistogram({ ...config, registers: [] })).toThrow(
      'le is a reserved label keyword',
    );
  });
});
