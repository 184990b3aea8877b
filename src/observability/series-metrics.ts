/**
 * Labelled counters and histograms for the metrics updated on every request, exported through prom-client's
 * registry in the same text prom-client's own `Counter` and `Histogram` write (test/unit/series-metrics.spec.ts
 * holds the two side by side).
 *
 * Why not prom-client's: each of its updates checks every label name against the metric's, sorts and hashes the
 * labels into a key and builds a labels-and-value pair, and the gateway makes five such updates per request
 * (operation count and duration, Graph call count and duration, quota wait). In the benchmark that was 2.3% of
 * the gateway's CPU. Here the labels are checked once, when their series is first seen; an update is one
 * string key, one Map lookup and a few additions. The registry asks for values only at scrape time.
 */
import type { Metric, Registry } from 'prom-client';

type Labels<L extends string> = Readonly<Record<L, string>>;

interface MetricOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registers: readonly Registry[];
}

export interface SeriesHistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds, ascending; `+Inf` is implied. */
  readonly buckets: readonly number[];
}

/** What the registry reads: prom-client's shape of one exported value. */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName?: string;
  /** prom-client's buckets carry `null` here (no exemplars); the registry writes none. */
  exemplar?: null;
}

/**
 * The series of one metric, each created with its labels checked. They are found through one `Map` per label, by
 * the label's value: no key is built per update (a key of every value behind its length, built on each of the five
 * updates per request, was most of an update's 1-2 µs).
 */
class SeriesMap<L extends string, S extends { readonly labels: Labels<L> }> {
  private root = new Map<string, unknown>();
  private readonly all: S[] = [];

  constructor(
    private readonly metric: string,
    private readonly labelNames: readonly L[],
    private readonly create: (labels: Labels<L>) => S,
  ) {}

  get(labels: Labels<L>): S {
    const names = this.labelNames;
    let level = this.root;
    // Every level but the last holds the next level's map; the last holds the series. No labels: one series, ''.
    for (let index = 0; index < names.length - 1; index += 1) {
      const value = String(labels[names[index]!]);
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (!next) level.set(value, (next = new Map<string, unknown>()));
      level = next;
    }
    const last = names.length > 0 ? String(labels[names[names.length - 1]!]) : '';
    const known = level.get(last) as S | undefined;
    if (known) return known;
    const series = this.create(this.checked(labels));
    level.set(last, series);
    this.all.push(series);
    return series;
  }

  values(): IterableIterator<S> {
    return this.all.values();
  }

  clear(): void {
    this.root = new Map<string, unknown>();
    this.all.length = 0;
  }

  /** A copy with exactly the metric's label names, as prom-client would refuse anything else. */
  private checked(labels: Labels<L>): Labels<L> {
    for (const name of Object.keys(labels))
      if (!(this.labelNames as readonly string[]).includes(name))
        throw new Error(`${this.metric}: label "${name}" is not one of its labels`);
    const copy = {} as Record<L, string>;
    for (const name of this.labelNames) copy[name] = String(labels[name]);
    return copy;
  }
}

// Prometheus's metric and label names (https://prometheus.io/docs/concepts/data_model/), as prom-client checks them.
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * What prom-client refuses when a metric is made, refused here too: a wrong name would otherwise be written to
 * every scrape, and Prometheus rejects a scrape with one bad line as a whole.
 */
function checkNames(options: MetricOptions<string>, reserved: readonly string[] = []): void {
  if (!METRIC_NAME.test(options.name)) throw new Error(`Invalid metric name: ${options.name}`);
  for (const label of options.labelNames) {
    if (!LABEL_NAME.test(label)) throw new Error(`Invalid label name: ${label}`);
    if (reserved.includes(label)) throw new Error(`${label} is a reserved label keyword`);
  }
}

function register(metric: object, registers: readonly Registry[]): void {
  // The registry reads only what prom-client's metrics and these share: name, help, type, get() and reset().
  for (const registry of registers) registry.registerMetric(metric as Metric);
}

/** One metric as the registry reads it. */
function exported(
  metric: { readonly name: string; readonly help: string; readonly type: string },
  values: ExportedValue[],
) {
  return {
    name: metric.name,
    help: metric.help,
    type: metric.type,
    values,
    aggregator: 'sum' as const,
  };
}

interface CounterSeries<L extends string> {
  readonly labels: Labels<L>;
  value: number;
}

/** A counter with labels (Prometheus `counter`). */
export class SeriesCounter<L extends string> {
  readonly type = 'counter';
  name: string; // not readonly: the registry renames counters for OpenMetrics
  readonly help: string;
  private readonly series: SeriesMap<L, CounterSeries<L>>;

  constructor(options: MetricOptions<L>) {
    checkNames(options);
    this.name = options.name;
    this.help = options.help;
    this.series = new SeriesMap(options.name, options.labelNames, (labels) => ({
      labels,
      value: 0,
    }));
    register(this, options.registers);
  }

  inc(labels: Labels<L>, value = 1): void {
    if (!(value >= 0) || !Number.isFinite(value))
      throw new TypeError(`${this.name}: cannot add ${value} to a counter`);
    this.series.get(labels).value += value;
  }

  get() {
    const values: ExportedValue[] = [];
    for (const { labels, value } of this.series.values())
      values.push({ labels: { ...labels }, value });
    return exported(this, values);
  }

  reset(): void {
    this.series.clear();
  }
}

interface HistogramSeries<L extends string> {
  readonly labels: Labels<L>;
  /** Observations per bucket, not cumulative; the last slot counts those above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** A histogram with labels (Prometheus `histogram`), bucketed as prom-client buckets: `value <= bound`. */
export class SeriesHistogram<L extends string> {
  readonly type = 'histogram';
  name: string;
  readonly help: string;
  private readonly bounds: readonly number[];
  private readonly series: SeriesMap<L, HistogramSeries<L>>;

  constructor(options: SeriesHistogramOptions<L>) {
    // Every bucket line carries `le`: a label of that name would be written twice on each.
    checkNames(options, ['le']);
    this.name = options.name;
    this.help = options.help;
    this.bounds = [...options.buckets];
    const slots = this.bounds.length + 1;
    this.series = new SeriesMap(options.name, options.labelNames, (labels) => ({
      labels,
      counts: new Array<number>(slots).fill(0),
      sum: 0,
      count: 0,
    }));
    register(this, options.registers);
  }

  observe(labels: Labels<L>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`${this.name}: cannot observe ${value}`);
    const series = this.series.get(labels);
    let slot = 0;
    while (slot < this.bounds.length && value > this.bounds[slot]!) slot += 1;
    series.counts[slot]! += 1;
    series.sum += value;
    series.count += 1;
  }

  /** Cumulative buckets, `+Inf`, then `_sum` and `_count` per series, the order prom-client writes. */
  getForPromString() {
    const values: ExportedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, slot) => {
        cumulative += counts[slot]!;
        values.push({
          labels: { le: bound },
          sharedLabels: labels,
          value: cumulative,
          metricName: bucket,
          exemplar: null,
        });
      });
      values.push({
        labels: { le: '+Inf' },
        sharedLabels: labels,
        value: count,
        metricName: bucket,
        exemplar: null,
      });
      values.push({ labels: {}, sharedLabels: labels, value: sum, metricName: `${this.name}_sum` });
      values.push({
        labels: {},
        sharedLabels: labels,
        value: count,
        metricName: `${this.name}_count`,
      });
    }
    return exported(this, values);
  }

  /** As prom-client's `get()`: each value's labels with its series' labels merged in. */
  get() {
    const data = this.getForPromString();
    const values = data.values.map(({ sharedLabels, ...value }) => ({
      ...value,
      labels: { ...value.labels, ...sharedLabels },
    }));
    return { ...data, values };
  }

  reset(): void {
    this.series.clear();
  }
}
