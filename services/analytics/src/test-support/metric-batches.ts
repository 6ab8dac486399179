// Builders for MetricBatchV1 in tests; excluded from the build.
import type { MetricBatchV1, MetricSeriesV1, PoolSide, StatusClass } from '@graylane/contracts';
import { LatencyHistogram } from '@graylane/histogram';

export interface SeriesInput {
  rollout?: string;
  pool?: PoolSide;
  version?: string;
  region?: string;
  statusClass?: StatusClass;
  /** Latencies in microseconds; the series count is their number. */
  latenciesUs: readonly number[];
}

/** One series whose histogram holds exactly `latenciesUs`. */
export function series(input: SeriesInput): MetricSeriesV1 {
  const histogram = new LatencyHistogram();
  for (const value of input.latenciesUs) histogram.record(value);
  return {
    rollout: input.rollout ?? 'checkout',
    pool: input.pool ?? 'stable',
    version: input.version ?? (input.pool === 'canary' ? 'v2' : 'v1'),
    region: input.region ?? '',
    statusClass: input.statusClass ?? '2xx',
    count: input.latenciesUs.length,
    latency: histogram.encode(),
  };
}

/** A batch from proxy `proxyId` with sequence `seq`, its window starting at `windowStartMs`. */
export function batch(
  seq: number,
  seriesList: readonly MetricSeriesV1[],
  options: { proxyId?: string; windowStartMs?: number } = {},
): MetricBatchV1 {
  const proxyId = options.proxyId ?? 'proxy-a';
  const windowStartMs = options.windowStartMs ?? Date.now() - 2_000;
  return {
    schema: 'graylane.metric-batch/v1',
    batchId: `${proxyId}:${seq}`,
    proxyId,
    seq,
    configVersion: 3,
    windowStartMs,
    windowEndMs: windowStartMs + 1_000,
    series: [...seriesList],
  };
}

/** `count` latencies spread evenly over [fromUs, toUs]. */
export function evenly(count: number, fromUs: number, toUs: number): number[] {
  if (count === 1) return [fromUs];
  return Array.from({ length: count }, (_, i) => fromUs + ((toUs - fromUs) * i) / (count - 1));
}
