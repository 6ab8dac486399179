import { describe, expect, it } from 'vitest';
import { AnalyticsMetrics } from './self-metrics.js';

describe('AnalyticsMetrics.render', () => {
  it('renders every counter in the Prometheus text format', () => {
    const metrics = new AnalyticsMetrics();
    metrics.batchesIngested = 12;
    metrics.seriesRowsInserted = 40;
    metrics.insertFailures = 2;
    metrics.rejected.bad_json = 3;
    metrics.lastInsertSeconds = 0.0125;
    metrics.corrected.clock_skew = 4;
    metrics.verdicts.inconclusive = 5;
    metrics.rollbacksPublished = 1;
    const text = metrics.render();
    expect(text).toContain(
      '# HELP graylane_analytics_batches_ingested_total Metric batches written to ClickHouse.\n' +
        '# TYPE graylane_analytics_batches_ingested_total counter\n' +
        'graylane_analytics_batches_ingested_total 12\n',
    );
    expect(text).toContain('graylane_analytics_series_rows_inserted_total 40\n');
    expect(text).toContain('graylane_analytics_insert_failures_total 2\n');
    expect(text).toContain('graylane_analytics_rejected_messages_total{kind="bad_json"} 3\n');
    expect(text).toContain('graylane_analytics_rejected_messages_total{kind="corrupt_histogram"} 0\n');
    expect(text).toContain('# TYPE graylane_analytics_last_insert_duration_seconds gauge\ngraylane_analytics_last_insert_duration_seconds 0.0125\n');
    expect(text).toContain('graylane_analytics_corrected_batches_total{kind="clock_skew"} 4\n');
    expect(text).toContain('graylane_analytics_verdicts_total{outcome="inconclusive"} 5\n');
    expect(text).toContain('graylane_analytics_rollbacks_published_total 1\n');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('has every sample line as name, optional labels and a number', () => {
    for (const line of new AnalyticsMetrics().render().split('\n')) {
      if (line === '' || line.startsWith('# ')) continue;
      expect(line).toMatch(/^[a-z_]+(\{[a-z_]+="[a-z_]+"\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/);
    }
  });
});
