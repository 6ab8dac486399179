import { MetricBatchV1, parseWith } from '@graylane/contracts';
import { LatencyHistogram } from '@graylane/histogram';
import { decodeJson, METRICS_MAX_AGE_MS } from '@graylane/runtime';

/**
 * Why a metrics message can never be stored, whichever replica tries and however often. Anyone who
 * may publish on the metrics subjects can send a batch, so the numbers are checked too:
 * `unsafe_number` an integer beyond 2^53 (JSON cannot carry it exactly, and sums overflow),
 * `count_mismatch` a series count that is not its histogram's total, `implausible_count` more
 * requests than any proxy serves in the window, `out_of_window` a window that is not a window
 * (ends before it starts, lasts minutes) or lies outside the stream's retention or in the future.
 */
export const REJECT_KINDS = [
  'bad_json',
  'unknown_schema',
  'invalid_batch',
  'corrupt_histogram',
  'insert_rejected',
  'unsafe_number',
  'count_mismatch',
  'implausible_count',
  'out_of_window',
] as const;
export type RejectKind = (typeof REJECT_KINDS)[number];

/** Why a batch was stored with something changed: counted and logged, never dropped. */
export const CORRECTION_KINDS = ['clock_skew'] as const;
export type CorrectionKind = (typeof CORRECTION_KINDS)[number];

/**
 * A metric batch checked whole where it entered, with each series' histogram decoded there, once:
 * the store writes its rows from `histograms` and never reads the wire form of a histogram again.
 */
export interface DecodedBatch {
  readonly batch: MetricBatchV1;
  /**
   * Per series of `batch.series`, in the same order: the histogram's non-empty buckets as
   * [index, count], ascending. Entries rather than LatencyHistogram objects, which hold every
   * bucket of the layout, because the consumer keeps thousands of series waiting for an insert.
   */
  readonly histograms: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
}

export type DecodedMessage =
  | ({ ok: true; correction?: { kind: CorrectionKind; reason: string } } & DecodedBatch)
  | { ok: false; kind: Exclude<RejectKind, 'insert_rejected'>; reason: string };

/**
 * How far a proxy's window may be from the time the stream stored the batch before the proxy's
 * clock is distrusted. Batches are published within seconds; a backlog replayed after an outage
 * keeps its stream timestamps, so this only trips on a wrong clock.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** A batch window ending this far after the stream stored it claims requests from the future. */
export const MAX_FUTURE_MS = 5 * 60_000;

/** Proxies publish windows of about a second; anything longer than this is no proxy's batch. */
export const MAX_WINDOW_LENGTH_MS = 5 * 60_000;

/**
 * Requests per second one series may claim: far above what one proxy process serves (a few
 * 10 000/s), far below what would skew a rollout's numbers beyond repair if forged.
 */
export const MAX_REQUESTS_PER_SECOND = 10_000_000;

const METRIC_BATCH_SCHEMA = 'graylane.metric-batch/v1';
// A DateTime column holds Unix seconds in 0 .. 2^32-1; a window outside fails every insert.
const MAX_WINDOW_MS = (2 ** 32 - 1) * 1000;

/**
 * A metrics message as a valid batch, or the reason it must be dropped. Everything that would
 * make ClickHouse refuse the insert is caught here: one such batch in a multi-batch insert would
 * otherwise fail it forever.
 */
export function decodeMetricBatch(data: Uint8Array, storedAtMs?: number): DecodedMessage {
  let value: unknown;
  try {
    value = decodeJson(data);
  } catch (error) {
    return { ok: false, kind: 'bad_json', reason: messageOf(error) };
  }
  const schema = typeof value === 'object' && value !== null ? (value as { schema?: unknown }).schema : undefined;
  if (schema !== METRIC_BATCH_SCHEMA) {
    return { ok: false, kind: 'unknown_schema', reason: `schema ${JSON.stringify(schema) ?? 'missing'}, expected "${METRIC_BATCH_SCHEMA}"` };
  }
  let batch: MetricBatchV1;
  try {
    batch = parseWith(MetricBatchV1, value, 'metric batch');
  } catch (error) {
    return { ok: false, kind: 'invalid_batch', reason: messageOf(error) };
  }
  const unsafe = unsafeField(batch);
  if (unsafe !== undefined) return { ok: false, kind: 'unsafe_number', reason: `${unsafe}: beyond 2^53, not a count any proxy sends` };
  if (batch.windowStartMs < 0 || batch.windowStartMs > MAX_WINDOW_MS) {
    return { ok: false, kind: 'invalid_batch', reason: `invalid metric batch: /windowStartMs: out of range (got ${batch.windowStartMs})` };
  }
  const lengthMs = batch.windowEndMs - batch.windowStartMs;
  if (lengthMs < 0 || lengthMs > MAX_WINDOW_LENGTH_MS) {
    return { ok: false, kind: 'out_of_window', reason: `window ${batch.windowStartMs}..${batch.windowEndMs} lasts ${lengthMs} ms, expected 0-${MAX_WINDOW_LENGTH_MS}` };
  }
  const maxCount = MAX_REQUESTS_PER_SECOND * Math.max(1, Math.ceil(lengthMs / 1000));
  const histograms: Array<[number, number][]> = [];
  for (const [index, series] of batch.series.entries()) {
    let histogram: LatencyHistogram;
    try {
      histogram = LatencyHistogram.decode(series.latency);
    } catch (error) {
      return { ok: false, kind: 'corrupt_histogram', reason: `/series/${index}/latency: ${messageOf(error)}` };
    }
    if (histogram.count !== series.count) {
      return { ok: false, kind: 'count_mismatch', reason: `/series/${index}/count: ${series.count}, but its histogram holds ${histogram.count}` };
    }
    if (series.count > maxCount) {
      return { ok: false, kind: 'implausible_count', reason: `/series/${index}/count: ${series.count} requests in ${lengthMs} ms, more than ${maxCount}` };
    }
    histograms.push(histogram.entries());
  }
  // The stream's timestamp is the server's clock; without it (tests), this process's clock.
  const referenceMs = storedAtMs ?? Date.now();
  if (batch.windowEndMs - referenceMs > MAX_FUTURE_MS) {
    return { ok: false, kind: 'out_of_window', reason: `window ends ${Math.round((batch.windowEndMs - referenceMs) / 1000)} s after it was stored` };
  }
  if (referenceMs - batch.windowEndMs > METRICS_MAX_AGE_MS) {
    return { ok: false, kind: 'out_of_window', reason: `window ends ${Math.round((referenceMs - batch.windowEndMs) / 3_600_000)} h before it was stored, beyond the stream's retention` };
  }
  if (storedAtMs !== undefined && Math.abs(batch.windowEndMs - storedAtMs) > MAX_CLOCK_SKEW_MS) {
    // Re-stamped from the stream's clock rather than dropped: the requests happened, and the
    // stream timestamp is the same on every redelivery, so de-duplication still holds. Only a
    // slow clock gets here: a window in the future was refused above.
    const skewMs = batch.windowEndMs - storedAtMs;
    return {
      ok: true,
      batch: { ...batch, windowStartMs: storedAtMs - lengthMs, windowEndMs: storedAtMs },
      histograms,
      correction: { kind: 'clock_skew', reason: `proxy ${batch.proxyId} clock is ${Math.round(skewMs / 1000)} s off the stream's; window re-stamped` },
    };
  }
  return { ok: true, batch, histograms };
}

/**
 * A batch built in this process (tests, the judge bench) decoded as `decodeMetricBatch` decodes a
 * message's: each histogram once. Throws the histogram's decode error on a corrupt one.
 */
export function decodedBatchOf(batch: MetricBatchV1): DecodedBatch {
  return { batch, histograms: batch.series.map((series) => LatencyHistogram.decode(series.latency).entries()) };
}

/** The JSON pointer of the first integer beyond Number.MAX_SAFE_INTEGER, or undefined. */
function unsafeField(batch: MetricBatchV1): string | undefined {
  for (const field of ['seq', 'configVersion', 'windowStartMs', 'windowEndMs'] as const) {
    if (!Number.isSafeInteger(batch[field])) return `/${field}`;
  }
  for (const [index, series] of batch.series.entries()) {
    if (!Number.isSafeInteger(series.count)) return `/series/${index}/count`;
    for (const [position, pair] of series.latency.buckets.entries()) {
      if (!Number.isSafeInteger(pair[0]) || !Number.isSafeInteger(pair[1])) return `/series/${index}/latency/buckets/${position}`;
    }
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
