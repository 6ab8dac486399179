import type { Logger } from '@graylane/runtime';
import type { BatchPublisher } from './batch-publisher.js';
import type { MetricAggregator } from './metric-aggregator.js';

/**
 * Every `intervalMs`, hands the aggregator's window to the publisher. Returns a function that
 * stops the loop and flushes the last, partial window.
 */
export function startFlushLoop(
  aggregator: MetricAggregator,
  publisher: BatchPublisher,
  configVersion: () => number,
  intervalMs: number,
  logger: Logger,
): () => Promise<void> {
  let windowStart = Date.now();
  const flush = async (): Promise<void> => {
    const windowEnd = Date.now();
    const series = aggregator.drain();
    const window = { startMs: windowStart, endMs: windowEnd };
    windowStart = windowEnd;
    await publisher.flush(series, window, configVersion());
  };
  const timer = setInterval(() => {
    flush().catch((error: unknown) => logger.error({ err: error }, 'metric flush failed'));
  }, intervalMs);
  return async () => {
    clearInterval(timer);
    await flush();
  };
}
