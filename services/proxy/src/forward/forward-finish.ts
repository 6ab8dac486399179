import type { ForwardOutcome, ForwardTarget } from './forwarder.js';
import type { RequestStats } from './request-stats.js';
import type { Upstream } from './upstream-pool.js';
import { afterPoll } from '../http/after-poll.js';

/** What the forwarding engine reports a finished request to. */
export interface FinishSinks {
  /** Passive health: was this endpoint's answer a failure? */
  recordOutcome: (origin: string, failed: boolean) => void;
  stats: RequestStats;
}

/** Reports are made once the poll pass that finished the request is over, together with the pass's others. */
const reportAfterPoll = afterPoll((finish: ForwardFinish, elapsedMs: number) => finish.report(elapsedMs));

/**
 * Ends one forwarded request exactly once, whatever fires first (response end, upstream error,
 * timeout, client gone): feeds passive health (a client that left, or a failure of the proxy's
 * own, says nothing about the endpoint), the request stats, and the caller's `onDone`.
 * The latency is read when the request ends; the reports are made after the event loop's poll
 * pass (after-poll.ts), so the answers read in that pass reach their clients first.
 */
export class ForwardFinish {
  finished = false;
  private outcome: ForwardOutcome | undefined;
  private upstream: Upstream | undefined;

  constructor(
    private readonly sinks: FinishSinks,
    private readonly target: ForwardTarget,
    private readonly started: number,
  ) {}

  done(outcome: ForwardOutcome, upstream: Upstream | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.outcome = outcome;
    this.upstream = upstream;
    reportAfterPoll(this, performance.now() - this.started);
  }

  /** Feeds the sinks; called once, after `done`. */
  report(elapsedMs: number): void {
    const outcome = this.outcome as ForwardOutcome;
    const upstream = this.upstream;
    if (upstream !== undefined && !('failure' in outcome && (outcome.failure === 'client-aborted' || outcome.failure === 'proxy'))) {
      this.sinks.recordOutcome(upstream.origin, 'failure' in outcome || outcome.status >= 500);
    }
    this.sinks.stats.record(this.target.pool, outcome, elapsedMs);
    this.target.onDone(outcome, elapsedMs);
  }
}
