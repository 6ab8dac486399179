import { metricsSubject, type MetricBatchV1, type MetricSeriesV1 } from '@graylane/contracts';
import { encodeJson, type Logger } from '@graylane/runtime';

/** Publishes one batch with its de-duplication id; resolves once JetStream stored it. */
export type PublishBatch = (subject: string, data: Uint8Array, msgId: string) => Promise<unknown>;

export interface PublisherStats {
  published: number;
  dropped: number;
  failures: number;
  queued: number;
}

/**
 * Turns each window of series into a MetricBatchV1 and publishes it to JetStream. Batches that
 * cannot be published wait in a bounded queue and are retried in order with the same id, so a
 * retry that did reach JetStream is dropped there as a duplicate; past the bound the oldest
 * batch is dropped and counted, so a long NATS outage costs metrics, never memory.
 */
export class BatchPublisher {
  readonly stats: PublisherStats = { published: 0, dropped: 0, failures: 0, queued: 0 };
  private readonly queue: MetricBatchV1[] = [];
  private seq = 0;
  private sending = false;
  private loggedFailure = false;

  constructor(
    private readonly proxyId: string,
    private readonly publish: PublishBatch,
    private readonly maxQueued: number,
    private readonly logger: Logger,
  ) {}

  /** Queues one window's series (nothing when empty) and tries to send everything queued. */
  async flush(series: MetricSeriesV1[], window: { startMs: number; endMs: number }, configVersion: number): Promise<void> {
    if (series.length > 0) {
      this.seq += 1;
      this.queue.push({
        schema: 'graylane.metric-batch/v1',
        batchId: `${this.proxyId}:${this.seq}`,
        proxyId: this.proxyId,
        seq: this.seq,
        configVersion,
        windowStartMs: window.startMs,
        windowEndMs: window.endMs,
        series,
      });
      while (this.queue.length > this.maxQueued) {
        this.queue.shift();
        this.stats.dropped += 1;
      }
    }
    await this.sendQueued();
  }

  private async sendQueued(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      for (let batch = this.queue[0]; batch !== undefined; batch = this.queue[0]) {
        await this.publish(metricsSubject(this.proxyId), encodeJson(batch), batch.batchId);
        this.queue.shift();
        this.stats.published += 1;
        this.loggedFailure = false;
      }
    } catch (error) {
      this.stats.failures += 1;
      if (!this.loggedFailure) this.logger.warn({ err: error, queued: this.queue.length }, 'metric batches wait for NATS');
      this.loggedFailure = true;
    } finally {
      this.stats.queued = this.queue.length;
      this.sending = false;
    }
  }
}
