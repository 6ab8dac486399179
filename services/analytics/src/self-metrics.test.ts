import { describe, expect, it } from 'vitest';
import { differencesFromDoc, parsePrometheusText } from '@graylane/testkit';
import { AnalyticsMetrics } from './self-metrics.js';

describe('AnalyticsMetrics.render', () => {
  it('renders every counter in the Prometheus text format', async () => {
    const metrics = new AnalyticsMetrics();
    metrics.batchesIngested = 12;
    metrics.seriesRowsInserted = 40;
    metrics.insertFailures = 2;
    metrics.rejected.bad_json = 3;
    metrics.lastInsertSeconds = 0.0125;
    metrics.corrected.clock_skew = 4;
    for (let i = 0; i < 5; i++) metrics.countVerdict('checkout', 'inconclusive');
    metrics.countVerdict('checkout', 'fail');
    metrics.countVerdict('search', 'pass');
    metrics.rollbacksPublished = 1;
    const text = await metrics.render();
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
    expect(text).toContain('graylane_analytics_verdicts_total{rollout="checkout",outcome="inconclusive"} 5\n');
    expect(text).toContain('graylane_analytics_verdicts_total{rollout="checkout",outcome="fail"} 1\n');
    expect(text).toContain('graylane_analytics_verdicts_total{rollout="search",outcome="pass"} 1\n');
    expect(text).toContain('graylane_analytics_rollbacks_published_total 1\n');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('parses strictly and exposes exactly the analytics rows of docs/metrics.md, the consumer backlog included', async () => {
    const metrics = new AnalyticsMetrics();
    metrics.countVerdict('checkout', 'pass');
    metrics.backlog = async () => ({ pending: 17, ackPending: 3 });
    const families = parsePrometheusText(await metrics.render());
    expect(differencesFromDoc(families, ['analytics'])).toEqual([]);
    expect(families.get('graylane_analytics_consumer_pending_messages')?.samples).toEqual([
      { name: 'graylane_analytics_consumer_pending_messages', labels: { state: 'undelivered' }, value: 17 },
      { name: 'graylane_analytics_consumer_pending_messages', labels: { state: 'unacked' }, value: 3 },
    ]);
    expect(families.get('graylane_analytics_last_insert_duration_seconds')?.samples[0]?.value).toBeNaN();
  });

  it('leaves the backlog out of a scrape JetStream does not answer, instead of showing 0', async () => {
    const metrics = new AnalyticsMetrics();
    metrics.backlog = () => Promise.reject(new Error('no responders'));
    const families = parsePrometheusText(await metrics.render());
    expect(families.get('graylane_analytics_consumer_pending_messages')?.samples).toEqual([]);
    expect(families.get('graylane_analytics_batches_ingested_total')?.samples[0]?.value).toBe(0);
  });

  it('keeps each instance in its own registry', async () => {
    const a = new AnalyticsMetrics();
    const b = new AnalyticsMetrics();
    a.batchesIngested = 3;
    expect(await b.render()).toContain('graylane_analytics_batches_ingested_total 0\n');
  });
});
