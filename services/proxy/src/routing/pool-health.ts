import type { PoolHealth } from '@graylane/routing';
import type { HealthView } from '../health/upstream-health.js';

/**
 * The routing core's view of pool health over the proxy's endpoint health (active checks and
 * outlier ejection): a pool is healthy while any of its endpoints is.
 */
export function poolHealthOf(view: HealthView): PoolHealth {
  return { isHealthy: (pool) => view.healthyCount(pool.upstreams) > 0 };
}
