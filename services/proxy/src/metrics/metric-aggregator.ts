import type { MetricSeriesV1, PoolSide, StatusClass } from '@graylane/contracts';
import { LatencyHistogram } from '@graylane/histogram';

interface Series {
  readonly rollout: string;
  readonly pool: PoolSide;
  readonly version: string;
  readonly region: string;
  readonly statusClass: StatusClass;
  count: number;
  readonly latency: LatencyHistogram;
}

/** `200` → `2xx`; no status (connect failure, timeout) → `err`. */
export function statusClassOf(status: number | undefined): StatusClass {
  if (status === undefined || status < 100 || status > 599) return 'err';
  return `${Math.floor(status / 100)}xx` as StatusClass;
}

/**
 * Counts and latency histograms per (rollout, pool, region, status class) for the current window.
 * The number of series is bounded by rollouts × 2 × regions × 6, whatever the number of users.
 */
export class MetricAggregator {
  private series = new Map<string, Series>();

  /** Counts one request. `region` is the region whose pool served it; '' without regions. */
  record(rollout: string, pool: PoolSide, version: string, statusClass: StatusClass, latencyUs: number, region = ''): void {
    const key = `${rollout}\u0000${pool}\u0000${region}\u0000${statusClass}`;
    let entry = this.series.get(key);
    if (entry === undefined || entry.version !== version) {
      entry = { rollout, pool, version, region, statusClass, count: 0, latency: new LatencyHistogram() };
      this.series.set(key, entry);
    }
    entry.count += 1;
    entry.latency.record(latencyUs);
  }

  /** The window's series, and a fresh window. */
  drain(): MetricSeriesV1[] {
    const drained = [...this.series.values()].map((s) => ({
      rollout: s.rollout,
      pool: s.pool,
      version: s.version,
      region: s.region,
      statusClass: s.statusClass,
      count: s.count,
      latency: s.latency.encode(),
    }));
    this.series = new Map();
    return drained;
  }
}
