import { Histogram, type Registry } from 'prom-client';

/** One labelled series of a histogram counted elsewhere: counts per bucket (not cumulative; the last is +Inf), sum and count. */
export interface CountedSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly buckets: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/** One sample as prom-client's registry formats it (`sharedLabels` are written after `labels`). */
interface SampleValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
}

/** What prom-client's registry reads from a metric for the text format. */
interface TextFormatObject {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: SampleValue[];
}

/**
 * A prom-client histogram whose samples are read at scrape time from counts kept elsewhere. The
 * proxy counts each request into plain arrays (`RequestStats`): `Histogram.observe` would build a
 * label key and validate labels on every request, which the hot path does not pay. Exposed as a
 * regular histogram family (`_bucket` with cumulative `le`, `_sum`, `_count`).
 *
 * The registry asks `getForPromString()` for the text format, and prom-client's own `get()` (JSON,
 * cluster aggregation) builds on it, so overriding that one method serves both.
 */
export class PrecountedHistogram extends Histogram<string> {
  private readonly metricName: string;
  private readonly helpText: string;
  private readonly bounds: readonly number[];
  private readonly read: () => Iterable<CountedSeries>;

  constructor(options: { name: string; help: string; labelNames: readonly string[]; buckets: readonly number[]; registry: Registry; read: () => Iterable<CountedSeries> }) {
    super({ name: options.name, help: options.help, labelNames: [...options.labelNames], buckets: [...options.buckets], registers: [options.registry] });
    this.metricName = options.name;
    this.helpText = options.help;
    this.bounds = options.buckets;
    this.read = options.read;
  }

  async getForPromString(): Promise<TextFormatObject> {
    const values: SampleValue[] = [];
    const bucket = `${this.metricName}_bucket`;
    for (const series of this.read()) {
      let cumulative = 0;
      this.bounds.forEach((le, slot) => {
        cumulative += series.buckets[slot] ?? 0;
        values.push({ labels: { ...series.labels, le }, sharedLabels: {}, value: cumulative, metricName: bucket });
      });
      values.push(
        { labels: { ...series.labels, le: '+Inf' }, sharedLabels: {}, value: series.count, metricName: bucket },
        { labels: { ...series.labels }, sharedLabels: {}, value: series.sum, metricName: `${this.metricName}_sum` },
        { labels: { ...series.labels }, sharedLabels: {}, value: series.count, metricName: `${this.metricName}_count` },
      );
    }
    return { name: this.metricName, help: this.helpText, type: 'histogram', aggregator: 'sum', values };
  }
}
