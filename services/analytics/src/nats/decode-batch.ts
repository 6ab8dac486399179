import { MetricBatchV1, parseWith } from '@graylane/contracts';
import { LatencyHistogram } from '@graylane/histogram';
import { decodeJson } from '@graylane/runtime';

/** Why a metrics message can never be stored, whichever replica tries and however often. */
export const REJECT_KINDS = ['bad_json', 'unknown_schema', 'invalid_batch', 'corrupt_histogram', 'insert_rejected'] as const;
export type RejectKind = (typeof REJECT_KINDS)[number];

/** Why a batch was stored with something changed: counted and logged, never dropped. */
export const CORRECTION_KINDS = ['clock_skew'] as const;
export type CorrectionKind = (typeof CORRECTION_KINDS)[number];

export type DecodedMessage =
  | { ok: true; batch: MetricBatchV1; correction?: { kind: CorrectionKind; reason: string } }
  | { ok: false; kind: Exclude<RejectKind, 'insert_rejected'>; reason: string };

/**
 * How far a proxy's window may be from the time the stream stored the batch before the proxy's
 * clock is distrusted. Batches are published within seconds; a backlog replayed after an outage
 * keeps its stream timestamps, so this only trips on a wrong clock.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

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
  if (batch.windowStartMs < 0 || batch.windowStartMs > MAX_WINDOW_MS) {
    return { ok: false, kind: 'invalid_batch', reason: `invalid metric batch: /windowStartMs: out of range (got ${batch.windowStartMs})` };
  }
  for (const [index, series] of batch.series.entries()) {
    try {
      LatencyHistogram.decode(series.latency);
    } catch (error) {
      return { ok: false, kind: 'corrupt_histogram', reason: `/series/${index}/latency: ${messageOf(error)}` };
    }
  }
  if (storedAtMs !== undefined && Math.abs(batch.windowEndMs - storedAtMs) > MAX_CLOCK_SKEW_MS) {
    // Re-stamped from the stream's clock rather than dropped: the requests happened, and the
    // stream timestamp is the same on every redelivery, so de-duplication still holds.
    const lengthMs = Math.max(0, Math.min(60_000, batch.windowEndMs - batch.windowStartMs));
    const skewMs = batch.windowEndMs - storedAtMs;
    return {
      ok: true,
      batch: { ...batch, windowStartMs: storedAtMs - lengthMs, windowEndMs: storedAtMs },
      correction: { kind: 'clock_skew', reason: `proxy ${batch.proxyId} clock is ${Math.round(skewMs / 1000)} s off the stream's; window re-stamped` },
    };
  }
  return { ok: true, batch };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
