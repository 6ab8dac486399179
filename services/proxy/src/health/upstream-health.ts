import { ActiveChecker, type ActiveCheckSettings } from './active-checker.js';
import { OutlierDetector, type OutlierSettings } from './outlier-detector.js';

/**
 * What the rest of the proxy may ask about upstream health. Read-only on purpose: routing uses
 * it for region fallback, the balancer to skip endpoints, the admin port to report.
 */
export interface HealthView {
  /** False while `upstreamUrl` (any URL on the endpoint) is ejected or failing active checks. */
  isHealthy(upstreamUrl: string): boolean;
  /** How many of a pool's endpoints are healthy now. */
  healthyCount(upstreamUrls: readonly string[]): number;
}

/** Active checks plus passive outlier ejection for every endpoint of the current config. */
export class UpstreamHealth implements HealthView {
  readonly detector: OutlierDetector;
  readonly checker: ActiveChecker;
  /** URL → origin, because parsing a URL on every request costs more than a lookup. */
  private readonly originCache = new Map<string, string>();

  constructor(
    active: ActiveCheckSettings,
    outlier: OutlierSettings,
    private readonly origins: () => ReadonlySet<string>,
    private readonly now: () => number = Date.now,
  ) {
    this.detector = new OutlierDetector(outlier);
    this.checker = new ActiveChecker(active, () => {
      const current = this.origins();
      this.detector.retainOnly(current);
      if (this.originCache.size > 4 * current.size + 64) this.originCache.clear();
      return current;
    });
  }

  isHealthy(upstreamUrl: string): boolean {
    const origin = this.originOf(upstreamUrl);
    return !this.detector.isEjected(origin, this.now()) && !this.checker.isDown(origin);
  }

  healthyCount(upstreamUrls: readonly string[]): number {
    let count = 0;
    for (const url of upstreamUrls) if (this.isHealthy(url)) count += 1;
    return count;
  }

  /** Records one finished exchange for passive ejection: `failed` for a 5xx or no connection. */
  recordOutcome(origin: string, failed: boolean): void {
    this.detector.record(origin, failed, this.now());
  }

  /** Drops everything known about `origin` (it left the config), so if it comes back it starts healthy and unjudged. */
  forget(origin: string): void {
    this.detector.forget(origin);
    this.checker.forget(origin);
    for (const [url, known] of this.originCache) if (known === origin) this.originCache.delete(url);
  }

  start(): void {
    this.checker.start();
  }

  async stop(): Promise<void> {
    await this.checker.stop();
  }

  private originOf(url: string): string {
    let origin = this.originCache.get(url);
    if (origin === undefined) {
      origin = new URL(url).origin;
      this.originCache.set(url, origin);
    }
    return origin;
  }
}
