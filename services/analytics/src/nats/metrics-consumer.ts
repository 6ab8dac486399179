import { METRICS_CONSUMER, METRICS_STREAM, METRICS_SUBJECT_PREFIX } from '@graylane/contracts';
import { ensureDurableConsumer, ensureMetricsStream, type Logger, type NatsConnection } from '@graylane/runtime';
import { jetstream, type Consumer, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { isServerError } from '../clickhouse-errors.js';
import { decodeMetricBatch, type CorrectionKind, type DecodedBatch, type RejectKind } from '../ingest/decode-batch.js';
import type { AnalyticsMetrics, ConsumerBacklog } from '../self-metrics.js';
import type { InsertResult } from '../store/metrics-store.js';

/** Where decoded batches go; {@link MetricsStore} in the service, anything in a test. */
export interface BatchSink {
  insertBatches(batches: readonly DecodedBatch[]): Promise<InsertResult>;
}

export interface MetricsConsumerOptions {
  /** Insert as soon as this many series wait. */
  flushMaxRows: number;
  /** Insert at the latest this long after the first waiting message arrived. */
  flushMaxMs: number;
  /**
   * Insert as soon as this many histogram buckets wait: a series carries up to a few hundred, so
   * a bound on series alone would let one insert hold millions of rows in memory.
   */
  flushMaxBucketRows?: number;
  /** JetStream redelivers a message not acknowledged within this time. */
  ackWaitMs?: number;
  /** Replicas of the metrics stream if this call creates it (GRAYLANE_JETSTREAM_REPLICAS). */
  jetstreamReplicas?: number;
  /** First delay after a failed insert; it doubles per consecutive failure up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** How long JetStream waits for an ack before redelivering to any replica. */
export const METRICS_ACK_WAIT_MS = 30_000;
// Messages held unacknowledged at once across replicas; above flushMaxRows so size can trigger.
const MAX_ACK_PENDING = 20_000;
// Messages the client pulls ahead of the loop.
const PULL_BATCH = 1_000;
/** Bound on bucket rows per insert when the options name none. */
const FALLBACK_FLUSH_MAX_BUCKET_ROWS = 100_000;

interface Pending {
  msg: JsMsg;
  decoded: DecodedBatch;
}

/**
 * The durable pull consumer that moves metric batches from JetStream into ClickHouse.
 *
 * Messages are collected until `flushMaxRows` series or `flushMaxMs` elapsed, written in one
 * insert, and acknowledged only after ClickHouse accepted it. A failed insert naks its messages
 * with a growing delay and pauses ingest for that delay, so they come back when ClickHouse may
 * be up again; an insert ClickHouse answers with an error is retried batch by batch, so only a
 * batch it refuses alone is dropped. A message that can never be stored is counted by kind,
 * logged once per kind and terminated. A batch from a proxy with a wrong clock is re-stamped.
 * Redelivered batches are harmless: the tables collapse rows of the same batch id.
 */
export class MetricsConsumer {
  private readonly consumer: Consumer;
  private readonly messages: ConsumerMessages;
  private readonly sink: BatchSink;
  private readonly metrics: AnalyticsMetrics;
  private readonly logger: Logger;
  private readonly flushMaxRows: number;
  private readonly flushMaxMs: number;
  private readonly flushMaxBucketRows: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly loggedKinds = new Set<RejectKind | CorrectionKind>();
  private readonly loop: Promise<void>;
  private pending: Pending[] = [];
  private pendingRows = 0;
  private pendingBucketRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private failures = 0;
  private consuming = true;
  private stopping = false;
  private wakeFromBackoff: (() => void) | undefined;

  private constructor(
    messages: ConsumerMessages,
    sink: BatchSink,
    metrics: AnalyticsMetrics,
    logger: Logger,
    options: MetricsConsumerOptions,
    consumer: Consumer,
  ) {
    this.consumer = consumer;
    this.messages = messages;
    this.sink = sink;
    this.metrics = metrics;
    this.logger = logger;
    this.flushMaxRows = options.flushMaxRows;
    this.flushMaxMs = options.flushMaxMs;
    this.flushMaxBucketRows = options.flushMaxBucketRows ?? FALLBACK_FLUSH_MAX_BUCKET_ROWS;
    this.retryMinMs = options.retryMinMs ?? 250;
    this.retryMaxMs = options.retryMaxMs ?? 10_000;
    this.loop = this.run();
    void this.watchStatus();
  }

  /** Creates the stream and the durable consumer if missing, then starts consuming. */
  static async start(
    nc: NatsConnection,
    sink: BatchSink,
    metrics: AnalyticsMetrics,
    logger: Logger,
    options: MetricsConsumerOptions,
  ): Promise<MetricsConsumer> {
    await ensureMetricsStream(nc, { replicas: options.jetstreamReplicas ?? 1 });
    const ackWaitMs = options.ackWaitMs ?? METRICS_ACK_WAIT_MS;
    const created = await ensureDurableConsumer(nc, METRICS_STREAM, {
      name: METRICS_CONSUMER,
      filterSubject: `${METRICS_SUBJECT_PREFIX}.>`,
      ackWaitMs,
      maxAckPending: MAX_ACK_PENDING,
    });
    if (created) logger.info({ consumer: METRICS_CONSUMER, ackWaitMs }, 'created durable metrics consumer');
    const consumer = await jetstream(nc).consumers.get(METRICS_STREAM, METRICS_CONSUMER);
    const messages = await consumer.consume({ max_messages: PULL_BATCH });
    logger.info({ stream: METRICS_STREAM, consumer: METRICS_CONSUMER }, 'consuming metric batches');
    return new MetricsConsumer(messages, sink, metrics, logger, options, consumer);
  }

  /**
   * The durable consumer's backlog across all replicas, from JetStream (one request): batches
   * not delivered yet, and delivered ones not acknowledged.
   */
  async backlog(): Promise<ConsumerBacklog> {
    const info = await this.consumer.info();
    return { pending: info.num_pending, ackPending: info.num_ack_pending };
  }

  /** False once consumption ended, whether stopped or failed. */
  get running(): boolean {
    return this.consuming;
  }

  /**
   * Stops pulling, writes what was already received, and returns once it is acknowledged (or,
   * if ClickHouse refuses, nak'd for redelivery to another replica).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeFromBackoff?.();
    await this.messages.close();
    await this.loop;
    await this.flush();
  }

  private async run(): Promise<void> {
    try {
      for await (const msg of this.messages) {
        this.accept(msg);
        // Waiting here is the back-pressure: nothing more is pulled until the insert is done.
        if (this.pendingRows >= this.flushMaxRows || this.pendingBucketRows >= this.flushMaxBucketRows) await this.flush();
      }
    } catch (error) {
      this.logger.error({ err: error }, 'metrics consumer failed; no more batches are ingested');
    } finally {
      this.consuming = false;
      if (!this.stopping) this.logger.error('metrics consumer stopped unexpectedly');
    }
  }

  private accept(msg: JsMsg): void {
    const decoded = decodeMetricBatch(msg.data, Math.floor(msg.info.timestampNanos / 1_000_000));
    if (!decoded.ok) {
      this.reject(msg, decoded.kind, decoded.reason);
      return;
    }
    if (decoded.correction !== undefined) {
      this.metrics.corrected[decoded.correction.kind] += 1;
      this.logOncePerKind(decoded.correction.kind, { reason: decoded.correction.reason, seq: msg.seq }, 'stored a metric batch with a correction');
    }
    const { batch, histograms } = decoded;
    this.pending.push({ msg, decoded: { batch, histograms } });
    this.pendingRows += batch.series.length;
    for (const entries of histograms) this.pendingBucketRows += entries.length;
    this.metrics.pendingSeries = this.pendingRows;
    this.timer ??= setTimeout(() => {
      void this.flush();
    }, this.flushMaxMs);
  }

  /** Counts, logs (once per kind) and terminates a message that can never be stored. */
  private reject(msg: JsMsg, kind: RejectKind, reason: string): void {
    this.metrics.rejected[kind] += 1;
    this.logOncePerKind(kind, { reason, subject: msg.subject, seq: msg.seq }, 'dropped a metrics message that can never be stored');
    // No reason argument: nats-server before 2.11 ignores a `+TERM <reason>` ack entirely and
    // would redeliver the message after the ack wait.
    msg.term();
  }

  private logOncePerKind(kind: RejectKind | CorrectionKind, fields: Record<string, unknown>, message: string): void {
    if (this.loggedKinds.has(kind)) {
      this.logger.debug({ kind, ...fields }, message);
    } else {
      this.loggedKinds.add(kind);
      this.logger.warn({ kind, ...fields }, `${message}; further ones of this kind are only counted`);
    }
  }

  /**
   * After ClickHouse refused a multi-batch insert (it answered with an error, so it is up): each
   * batch is tried alone, so that one bad batch does not hold back the rest forever. Batches it
   * refuses alone are counted as `insert_rejected`, logged and terminated.
   */
  private async isolateRejected(items: readonly Pending[]): Promise<void> {
    for (const item of items) {
      try {
        const result = await this.sink.insertBatches([item.decoded]);
        this.recordInserted(1, result);
        item.msg.ack();
      } catch (error) {
        if (!isServerError(error)) {
          // ClickHouse went away meanwhile: this one comes back like any failed insert.
          item.msg.nak(this.retryMinMs);
          continue;
        }
        this.reject(item.msg, 'insert_rejected', `batch ${item.decoded.batch.batchId}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private recordInserted(batches: number, result: InsertResult): void {
    this.metrics.batchesIngested += batches;
    this.metrics.seriesRowsInserted += result.seriesRows;
    this.metrics.bucketRowsInserted += result.bucketRows;
  }

  /** Queues one insert of everything pending behind any insert in progress. Never rejects. */
  private flush(): Promise<void> {
    this.flushing = this.flushing
      .then(() => this.flushOnce())
      .catch((error: unknown) => {
        // Only acks and naks on a closed connection get here; JetStream redelivers those messages.
        this.logger.error({ err: error }, 'could not settle metric batch messages');
      });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    this.pendingBucketRows = 0;
    this.metrics.pendingSeries = 0;
    if (items.length === 0) return;
    const started = performance.now();
    let result: InsertResult;
    try {
      result = await this.sink.insertBatches(items.map((item) => item.decoded));
    } catch (error) {
      this.metrics.insertFailures += 1;
      if (isServerError(error)) {
        this.logger.warn({ err: error, messages: items.length }, 'ClickHouse refused an insert; trying its batches one by one');
        await this.isolateRejected(items);
        return;
      }
      this.failures += 1;
      const delayMs = Math.min(this.retryMaxMs, this.retryMinMs * 2 ** (this.failures - 1));
      this.logger.warn(
        { err: error, messages: items.length, failures: this.failures, retryInMs: delayMs },
        'ClickHouse insert failed; the messages will be redelivered',
      );
      for (const { msg } of items) msg.nak(delayMs);
      if (!this.stopping) await this.backoff(delayMs);
      return;
    }
    this.metrics.lastInsertSeconds = (performance.now() - started) / 1000;
    this.recordInserted(items.length, result);
    if (this.failures > 0) this.logger.info({ failures: this.failures }, 'ClickHouse inserts succeed again');
    this.failures = 0;
    for (const { msg } of items) msg.ack();
  }

  private backoff(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeFromBackoff = done;
    }).finally(() => {
      this.wakeFromBackoff = undefined;
    });
  }

  private async watchStatus(): Promise<void> {
    try {
      for await (const status of this.messages.status()) {
        if (status.type === 'heartbeats_missed' || status.type === 'consumer_not_found' || status.type === 'consumer_deleted' || status.type === 'stream_not_found') {
          this.logger.warn({ status }, 'metrics consumer status');
        }
      }
    } catch (error) {
      this.logger.debug({ err: error }, 'metrics consumer status stream ended');
    }
  }
}
