import { CORRECTION_KINDS, REJECT_KINDS, type CorrectionKind, type RejectKind } from './nats/decode-batch.js';

/** Counters the service keeps about itself, rendered for Prometheus at `GET /metrics`. */
export class AnalyticsMetrics {
  /** Metric batches whose rows ClickHouse accepted. */
  batchesIngested = 0;
  /** Rows written to `request_counts`, one per series. */
  seriesRowsInserted = 0;
  /** Rows written to `latency_buckets`. */
  bucketRowsInserted = 0;
  /** Inserts ClickHouse refused or did not answer; their messages are redelivered. */
  insertFailures = 0;
  /** Messages dropped for good, by why. */
  readonly rejected: Record<RejectKind, number> = Object.fromEntries(REJECT_KINDS.map((kind) => [kind, 0])) as Record<RejectKind, number>;
  /** Batches stored with a correction (e.g. re-stamped for a wrong proxy clock), by why. */
  readonly corrected: Record<CorrectionKind, number> = Object.fromEntries(CORRECTION_KINDS.map((kind) => [kind, 0])) as Record<
    CorrectionKind,
    number
  >;
  /** Guardrail verdicts stored, by outcome. */
  readonly verdicts = { pass: 0, fail: 0, inconclusive: 0 };
  /** Rollback events this replica sent that the stream stored (not duplicates). */
  rollbacksPublished = 0;
  /** Seconds the last successful insert took; NaN before the first. */
  lastInsertSeconds = Number.NaN;
  /** Series received and not yet written. */
  pendingSeries = 0;

  /** The Prometheus text exposition (format 0.0.4). */
  render(): string {
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${formatValue(value)}`);
    };
    metric('graylane_analytics_batches_ingested_total', 'counter', 'Metric batches written to ClickHouse.', [['', this.batchesIngested]]);
    metric('graylane_analytics_series_rows_inserted_total', 'counter', 'Series rows written to request_counts.', [
      ['', this.seriesRowsInserted],
    ]);
    metric('graylane_analytics_bucket_rows_inserted_total', 'counter', 'Histogram bucket rows written to latency_buckets.', [
      ['', this.bucketRowsInserted],
    ]);
    metric('graylane_analytics_insert_failures_total', 'counter', 'ClickHouse inserts that failed and were retried.', [
      ['', this.insertFailures],
    ]);
    metric(
      'graylane_analytics_rejected_messages_total',
      'counter',
      'Metrics messages dropped because they can never be stored, by kind.',
      REJECT_KINDS.map((kind) => [`{kind="${kind}"}`, this.rejected[kind]]),
    );
    metric(
      'graylane_analytics_corrected_batches_total',
      'counter',
      'Metric batches stored with a correction, by kind (clock_skew: window re-stamped with the stream time).',
      CORRECTION_KINDS.map((kind) => [`{kind="${kind}"}`, this.corrected[kind]]),
    );
    metric(
      'graylane_analytics_verdicts_total',
      'counter',
      'Guardrail verdicts stored, by outcome.',
      (['pass', 'fail', 'inconclusive'] as const).map((outcome) => [`{outcome="${outcome}"}`, this.verdicts[outcome]]),
    );
    metric('graylane_analytics_rollbacks_published_total', 'counter', 'Rollback events this replica published.', [
      ['', this.rollbacksPublished],
    ]);
    metric('graylane_analytics_last_insert_duration_seconds', 'gauge', 'Duration of the last successful ClickHouse insert.', [
      ['', this.lastInsertSeconds],
    ]);
    metric('graylane_analytics_pending_series', 'gauge', 'Series received and not yet written to ClickHouse.', [
      ['', this.pendingSeries],
    ]);
    return `${lines.join('\n')}\n`;
  }
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
