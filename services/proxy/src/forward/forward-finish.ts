import type { ForwardOutcome, ForwardTarget } from './forwarder.js';
import type { RequestStats } from './request-stats.js';
import type { Upstream } from './upstream-pool.js';

/** What the forwarding engine reports a finished request to. */
export interface FinishSinks {
  /** Passive health: was this endpoint's answer a failure? */
  recordOutcome: (origin: string, failed: boolean) => void;
  stats: RequestStats;
}

/**
 * Ends one forwarded request exactly once, whatever fires first (response end, upstream error,
 * timeout, client gone): feeds passive health (a client that left, or a failure of the proxy's
 * own, says nothing about the endpoint), the request stats, and the caller's `onDone`.
 */
export class ForwardFinish {
  finished = false;

  constructor(
    private readonly sinks: FinishSinks,
    private readonly target: ForwardTarget,
    private readonly started: number,
  ) {}

  done(outcome: ForwardOutcome, upstream: Upstream | undefined): void {
    if (this.finished) return;
    this.finished = true;
    if (upstream !== undefined && !('failure' in outcome && (outcome.failure === 'client-aborted' || outcome.failure === 'proxy'))) {
      this.sinks.recordOutcome(upstream.origin, 'failure' in outcome || outcome.status >= 500);
    }
    const elapsedMs = performance.now() - this.started;
    this.sinks.stats.record(this.target.pool, outcome, elapsedMs);
    this.target.onDone(outcome, elapsedMs);
  }
}
