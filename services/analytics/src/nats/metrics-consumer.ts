import { METRICS_CONSUMER, METRICS_STREAM, METRICS_SUBJECT_PREFIX, type MetricBatchV1 } from '@graylane/contracts';
import { ensureMetricsStream, type Logger, type NatsConnection } from '@graylane/runtime';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { AnalyticsMetrics } from '../self-metrics.js';
import type { InsertResult } from '../store/metrics-store.js';
import { decodeMetricBatch, type RejectKind } from './decode-batch.js';

/** Where decoded batches go; {@link MetricsStore} in the service, anything in a test. */
export interface BatchSink {
  insertBatches(batches: readonly MetricBatchV1[]): Promise<InsertResult>;
}

export interface MetricsConsumerOptions {
  /** Insert as soon as this many series wait. */
  flushMaxRows: number;
  /** Insert at the latest this long after the first waiting message arrived. */
  flushMaxMs: number;
  /** JetStream redelivers a message not acknowledged within this time. */
  ackWaitMs?: number;
  /** First delay after a failed insert; it doubles per consecutive failure up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** How long JetStream waits for an ack before redelivering to any replica. */
export const METRICS_ACK_WAIT_MS = 30_000;
const NANOS_PER_MS = 1_000_000;
// Messages held unacknowledged at once across replicas; above flushMaxRows so size can trigger.
const MAX_ACK_PENDING = 20_000;
// Messages the client pulls ahead of the loop.
const PULL_BATCH = 1_000;

interface Pending {
  msg: JsMsg;
  batch: MetricBatchV1;
}

/**
 * The durable pull consumer that moves metric batches from JetStream into ClickHouse.
 *
 * Messages are collected until `flushMaxRows` series or `flushMaxMs` elapsed, written in one
 * insert, and acknowledged only after ClickHouse accepted it. A failed insert naks its messages
 * with a growing delay and pauses ingest for that delay, so they come back when ClickHouse may
 * be up again. A message that can never be stored is counted by kind, logged once per kind and
 * terminated. Redelivered batches are harmless: the tables collapse rows of the same batch id.
 */
export class MetricsConsumer {
  readonly #messages: ConsumerMessages;
  readonly #sink: BatchSink;
  readonly #metrics: AnalyticsMetrics;
  readonly #logger: Logger;
  readonly #flushMaxRows: number;
  readonly #flushMaxMs: number;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  readonly #loggedKinds = new Set<RejectKind>();
  readonly #loop: Promise<void>;
  #pending: Pending[] = [];
  #pendingRows = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #failures = 0;
  #running = true;
  #stopping = false;
  #wakeFromBackoff: (() => void) | undefined;

  private constructor(
    messages: ConsumerMessages,
    sink: BatchSink,
    metrics: AnalyticsMetrics,
    logger: Logger,
    options: MetricsConsumerOptions,
  ) {
    this.#messages = messages;
    this.#sink = sink;
    this.#metrics = metrics;
    this.#logger = logger;
    this.#flushMaxRows = options.flushMaxRows;
    this.#flushMaxMs = options.flushMaxMs;
    this.#retryMinMs = options.retryMinMs ?? 250;
    this.#retryMaxMs = options.retryMaxMs ?? 10_000;
    this.#loop = this.#run();
    void this.#watchStatus();
  }

  /** Creates the stream and the durable consumer if missing, then starts consuming. */
  static async start(
    nc: NatsConnection,
    sink: BatchSink,
    metrics: AnalyticsMetrics,
    logger: Logger,
    options: MetricsConsumerOptions,
  ): Promise<MetricsConsumer> {
    await ensureMetricsStream(nc);
    await ensureDurableConsumer(nc, options.ackWaitMs ?? METRICS_ACK_WAIT_MS, logger);
    const consumer = await jetstream(nc).consumers.get(METRICS_STREAM, METRICS_CONSUMER);
    const messages = await consumer.consume({ max_messages: PULL_BATCH });
    logger.info({ stream: METRICS_STREAM, consumer: METRICS_CONSUMER }, 'consuming metric batches');
    return new MetricsConsumer(messages, sink, metrics, logger, options);
  }

  /** False once consumption ended, whether stopped or failed. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Stops pulling, writes what was already received, and returns once it is acknowledged (or,
   * if ClickHouse refuses, nak'd for redelivery to another replica).
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wakeFromBackoff?.();
    await this.#messages.close();
    await this.#loop;
    await this.#flush();
  }

  async #run(): Promise<void> {
    try {
      for await (const msg of this.#messages) {
        this.#accept(msg);
        // Waiting here is the back-pressure: nothing more is pulled until the insert is done.
        if (this.#pendingRows >= this.#flushMaxRows) await this.#flush();
      }
    } catch (error) {
      this.#logger.error({ err: error }, 'metrics consumer failed; no more batches are ingested');
    } finally {
      this.#running = false;
      if (!this.#stopping) this.#logger.error('metrics consumer stopped unexpectedly');
    }
  }

  #accept(msg: JsMsg): void {
    const decoded = decodeMetricBatch(msg.data);
    if (!decoded.ok) {
      this.#metrics.rejected[decoded.kind] += 1;
      const fields = { kind: decoded.kind, reason: decoded.reason, subject: msg.subject, seq: msg.seq };
      if (this.#loggedKinds.has(decoded.kind)) {
        this.#logger.debug(fields, 'dropped a metrics message that can never be stored');
      } else {
        this.#loggedKinds.add(decoded.kind);
        this.#logger.warn(fields, 'dropped a metrics message that can never be stored; further ones of this kind are only counted');
      }
      // No reason argument: nats-server before 2.11 ignores a `+TERM <reason>` ack entirely and
      // would redeliver the message after the ack wait.
      msg.term();
      return;
    }
    this.#pending.push({ msg, batch: decoded.batch });
    this.#pendingRows += decoded.batch.series.length;
    this.#metrics.pendingSeries = this.#pendingRows;
    this.#timer ??= setTimeout(() => {
      void this.#flush();
    }, this.#flushMaxMs);
  }

  /** Queues one insert of everything pending behind any insert in progress. Never rejects. */
  #flush(): Promise<void> {
    this.#flushing = this.#flushing
      .then(() => this.#flushOnce())
      .catch((error: unknown) => {
        // Only acks and naks on a closed connection get here; JetStream redelivers those messages.
        this.#logger.error({ err: error }, 'could not settle metric batch messages');
      });
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const items = this.#pending;
    this.#pending = [];
    this.#pendingRows = 0;
    this.#metrics.pendingSeries = 0;
    if (items.length === 0) return;
    const started = performance.now();
    let result: InsertResult;
    try {
      result = await this.#sink.insertBatches(items.map((item) => item.batch));
    } catch (error) {
      this.#failures += 1;
      this.#metrics.insertFailures += 1;
      const delayMs = Math.min(this.#retryMaxMs, this.#retryMinMs * 2 ** (this.#failures - 1));
      this.#logger.warn(
        { err: error, messages: items.length, failures: this.#failures, retryInMs: delayMs },
        'ClickHouse insert failed; the messages will be redelivered',
      );
      for (const { msg } of items) msg.nak(delayMs);
      if (!this.#stopping) await this.#backoff(delayMs);
      return;
    }
    this.#metrics.lastInsertSeconds = (performance.now() - started) / 1000;
    this.#metrics.batchesIngested += items.length;
    this.#metrics.seriesRowsInserted += result.seriesRows;
    this.#metrics.bucketRowsInserted += result.bucketRows;
    if (this.#failures > 0) this.#logger.info({ failures: this.#failures }, 'ClickHouse inserts succeed again');
    this.#failures = 0;
    for (const { msg } of items) msg.ack();
  }

  #backoff(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeFromBackoff = done;
    }).finally(() => {
      this.#wakeFromBackoff = undefined;
    });
  }

  async #watchStatus(): Promise<void> {
    try {
      for await (const status of this.#messages.status()) {
        if (status.type === 'heartbeats_missed' || status.type === 'consumer_not_found' || status.type === 'consumer_deleted' || status.type === 'stream_not_found') {
          this.#logger.warn({ status }, 'metrics consumer status');
        }
      }
    } catch (error) {
      this.#logger.debug({ err: error }, 'metrics consumer status stream ended');
    }
  }
}

/**
 * Creates the durable consumer shared by all analytics replicas, or keeps the existing one: a
 * replica must not change a consumer that others are reading from.
 */
async function ensureDurableConsumer(nc: NatsConnection, ackWaitMs: number, logger: Logger): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.consumers.info(METRICS_STREAM, METRICS_CONSUMER);
    return;
  } catch {
    // not found: create below
  }
  try {
    await jsm.consumers.add(METRICS_STREAM, {
      durable_name: METRICS_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      ack_wait: ackWaitMs * NANOS_PER_MS,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `${METRICS_SUBJECT_PREFIX}.>`,
      max_ack_pending: MAX_ACK_PENDING,
    });
    logger.info({ consumer: METRICS_CONSUMER, ackWaitMs }, 'created durable metrics consumer');
  } catch (error) {
    // Another replica may have created it between our info and add.
    await jsm.consumers.info(METRICS_STREAM, METRICS_CONSUMER).catch(() => {
      throw error;
    });
  }
}
