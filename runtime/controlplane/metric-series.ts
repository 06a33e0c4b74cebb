import type { Registry } from 'prom-client';

/**
 * Counters and histograms for the data plane's per-call metrics, read by
 * prom-client's registry at scrape time. prom-client's own Counter/Histogram
 * hash their label object on every inc/observe, which was a tenth of the
 * main thread's work per request; here a call updates plain numbers on a
 * series it already holds.
 */
type Labels = Record<string, string>;

export interface CounterSeries {
  labels: Labels;
  value: number;
}
export interface HistogramSeries {
  labels: Labels;
  /** counts[i]: observations in (bucket[i-1], bucket[i]]; the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

abstract class SeriesMetric<S extends { labels: Labels }> {
  protected readonly series = new Map<string, S>();
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }
  protected abstract make(labels: Labels): S;
  /** The series for these labels; `key` must identify them (callers keep the result). */
  at(key: string, labels: Labels): S {
    let s = this.series.get(key);
    if (!s) {
      s = this.make(labels);
      this.series.set(key, s);
    }
    return s;
  }
  /** Drop every series whose key starts with the prefix (a deleted graph). */
  drop(prefix: string): void {
    for (const k of this.series.keys()) if (k.startsWith(prefix)) this.series.delete(k);
  }
  reset(): void {
    this.series.clear();
  }
  abstract values(): MetricValue[];
  get() {
    return { name: this.name, help: this.help, type: this.type, values: this.values(), aggregator: this.aggregator };
  }
}

export class SeriesCounter extends SeriesMetric<CounterSeries> {
  readonly type = 'counter';
  protected make(labels: Labels): CounterSeries {
    return { labels, value: 0 };
  }
  values(): MetricValue[] {
    return [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value }));
  }
}

export class SeriesHistogram extends SeriesMetric<HistogramSeries> {
  readonly type = 'histogram';
  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[],
    registry: Registry,
  ) {
    super(name, help, registry);
  }
  protected make(labels: Labels): HistogramSeries {
    return { labels, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
  }
  observe(s: HistogramSeries, v: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    s.counts[i]++;
    s.sum += v;
    s.count++;
  }
  values(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += s.counts[i];
        out.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le }, value: acc });
      });
      out.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
      out.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      out.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return out;
  }
}
