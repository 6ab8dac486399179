import type { Upstream } from './upstream-pool.js';

/** How a pool spreads requests over its endpoints. */
export type LoadBalancingPolicy = 'round-robin' | 'least-outstanding';

/** Whether an endpoint may take traffic now (active checks and outlier ejection). */
export type IsHealthy = (origin: string) => boolean;

/**
 * Picks one endpoint of a pool, skipping unhealthy ones. When every endpoint is unhealthy it
 * picks among all of them: a pool is never ejected whole, because a guess beats a certain 502.
 * `least-outstanding` is power of two choices: two random healthy endpoints, the one with fewer
 * requests in flight wins; it avoids the herd a global minimum would send to one endpoint.
 */
export class Balancer {
  private next = 0;

  constructor(
    readonly upstreams: readonly Upstream[],
    private readonly policy: LoadBalancingPolicy,
    private readonly isHealthy: IsHealthy,
    private readonly random: () => number = Math.random,
  ) {
    if (upstreams.length === 0) throw new Error('pool has no upstreams');
  }

  /** The endpoint for the next request; `avoid` (a failed first try) is skipped when another is healthy. */
  pick(avoid?: Upstream): Upstream {
    const all = this.upstreams;
    if (all.length === 1) return all[0] as Upstream;
    let healthy: Upstream[] | undefined;
    for (const upstream of all) {
      if (upstream !== avoid && this.isHealthy(upstream.origin)) (healthy ??= []).push(upstream);
    }
    const candidates = healthy ?? all;
    if (this.policy === 'round-robin') {
      const upstream = candidates[this.next % candidates.length] as Upstream;
      this.next = (this.next + 1) % 0x7fffffff;
      return upstream;
    }
    const first = candidates[Math.floor(this.random() * candidates.length)] as Upstream;
    const second = candidates[Math.floor(this.random() * candidates.length)] as Upstream;
    return second.outstanding < first.outstanding ? second : first;
  }
}
