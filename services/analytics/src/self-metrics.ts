import type { VerdictOutcome } from '@graylane/contracts';
import { Counter, Gauge, Registry } from 'prom-client';
import { CORRECTION_KINDS, REJECT_KINDS, type CorrectionKind, type RejectKind } from './ingest/decode-batch.js';

/** Messages of the durable metrics consumer not yet processed, as JetStream reports them. */
export interface ConsumerBacklog {
  /** In the stream, not yet delivered to any replica. */
  readonly pending: number;
  /** Delivered and not acknowledged yet (being inserted, or waiting for redelivery). */
  readonly ackPending: number;
}

/** A scrape must not hang on NATS: without an answer in this time the backlog is left out of that scrape. */
const BACKLOG_TIMEOUT_MS = 1_000;

/**
 * Counters the service keeps about itself as plain fields (the ingest loop adds to them), exposed
 * at `GET /metrics` through a prom-client registry of its own (one per instance, never the global
 * one, so tests that build several apps in one process keep them apart). Values are read when
 * Prometheus scrapes.
 */
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
  /** Rollback events this replica sent that the stream stored (not duplicates). */
  rollbacksPublished = 0;
  /** Seconds the last successful insert took; NaN before the first. */
  lastInsertSeconds = Number.NaN;
  /** Series received and not yet written. */
  pendingSeries = 0;
  /** The durable consumer's backlog, asked of JetStream per scrape; unset until the consumer runs. */
  backlog: (() => Promise<ConsumerBacklog>) | undefined;

  /** Guardrail verdicts stored, by rollout and outcome. */
  private readonly verdicts = new Map<string, Record<VerdictOutcome, number>>();
  private scrapedBacklog: ConsumerBacklog | undefined;
  readonly registry = new Registry();

  constructor() {
    this.register();
  }

  /** Counts one stored verdict. */
  countVerdict(rollout: string, outcome: VerdictOutcome): void {
    let counts = this.verdicts.get(rollout);
    if (counts === undefined) {
      counts = { pass: 0, fail: 0, inconclusive: 0 };
      this.verdicts.set(rollout, counts);
    }
    counts[outcome] += 1;
  }

  /** The Prometheus text exposition (format 0.0.4), with the consumer's backlog asked once for this scrape. */
  async render(): Promise<string> {
    this.scrapedBacklog = this.backlog === undefined ? undefined : await within(this.backlog(), BACKLOG_TIMEOUT_MS);
    return this.registry.metrics();
  }

  private register(): void {
    const registers = [this.registry];
    const counter = (name: string, help: string, read: () => number): void => {
      new Counter({ name, help, registers, collect: function collect() {
        this.reset();
        this.inc(read());
      } });
    };
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({ name, help, registers, collect: function collect() {
        this.set(read());
      } });
    };
    counter('graylane_analytics_batches_ingested_total', 'Metric batches written to ClickHouse.', () => this.batchesIngested);
    counter('graylane_analytics_series_rows_inserted_total', 'Series rows written to request_counts.', () => this.seriesRowsInserted);
    counter('graylane_analytics_bucket_rows_inserted_total', 'Histogram bucket rows written to latency_buckets.', () => this.bucketRowsInserted);
    counter('graylane_analytics_insert_failures_total', 'ClickHouse inserts that failed and were retried.', () => this.insertFailures);
    const byKind = <K extends string>(name: string, help: string, kinds: readonly K[], counts: Record<K, number>): void => {
      new Counter({ name, help, labelNames: ['kind'], registers, collect: function collect() {
        this.reset();
        for (const kind of kinds) this.inc({ kind }, counts[kind]);
      } });
    };
    byKind('graylane_analytics_rejected_messages_total', 'Metrics messages dropped because they can never be stored, by kind.', REJECT_KINDS, this.rejected);
    byKind(
      'graylane_analytics_corrected_batches_total',
      'Metric batches stored with a correction, by kind (clock_skew: window re-stamped with the stream time).',
      CORRECTION_KINDS,
      this.corrected,
    );
    const verdicts = this.verdicts;
    new Counter({
      name: 'graylane_analytics_verdicts_total',
      help: 'Guardrail verdicts this replica stored, by rollout and outcome.',
      labelNames: ['rollout', 'outcome'],
      registers,
      collect: function collect() {
        this.reset();
        for (const [rollout, counts] of verdicts) {
          for (const outcome of ['pass', 'fail', 'inconclusive'] as const) this.inc({ rollout, outcome }, counts[outcome]);
        }
      },
    });
    counter('graylane_analytics_rollbacks_published_total', 'Rollback events this replica published.', () => this.rollbacksPublished);
    gauge('graylane_analytics_last_insert_duration_seconds', 'Duration of the last successful ClickHouse insert.', () => this.lastInsertSeconds);
    gauge('graylane_analytics_pending_series', 'Series received and not yet written to ClickHouse.', () => this.pendingSeries);
    const backlog = (): ConsumerBacklog | undefined => this.scrapedBacklog;
    // Labelled, so that a scrape without JetStream's answer shows no sample rather than a false 0.
    new Gauge({
      name: 'graylane_analytics_consumer_pending_messages',
      help: 'Metric batches of the durable consumer not processed yet: undelivered (in the stream, the ingest lag) or unacked (delivered, being inserted). The same on every replica.',
      labelNames: ['state'],
      registers,
      collect: function collect() {
        this.reset();
        const now = backlog();
        if (now === undefined) return;
        this.set({ state: 'undelivered' }, now.pending);
        this.set({ state: 'unacked' }, now.ackPending);
      },
    });
  }
}

/** `promise`'s value, or undefined when it fails or takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
