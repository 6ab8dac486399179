import type { Logger } from '@graylane/runtime';
import type { Forwarder } from '../forward/forwarder.js';
import type { UpstreamRegistry } from '../forward/upstream-pool.js';
import type { UpstreamHealth } from '../health/upstream-health.js';
import type { TableHolder } from '../routing/table-holder.js';
import { originsNamedBy, RetirementPlan, type RetirementSettings } from './retirement-plan.js';

/** What holds per-origin state that must go when an origin leaves the config. */
export interface RetirementTargets {
  upstreams: UpstreamRegistry;
  health: UpstreamHealth;
  forwarder: Forwarder;
}

/** How often a leaving origin is looked at again while it still has requests in flight. */
const RECHECK_MS = 100;

/**
 * Retires endpoint origins that the applied table no longer names (blue/green deployments change
 * addresses every release): once their requests are done, or after the grace period, their
 * keep-alive pools are closed and their health state and checks dropped. Everything runs off the
 * request path, after a table swap and on a timer.
 */
export class OriginRetirer {
  private readonly plan: RetirementPlan;
  private timer: NodeJS.Timeout | undefined;
  private readonly closing = new Set<Promise<void>>();
  private stopped = false;
  /** Origins retired since start. */
  retired = 0;

  constructor(
    holder: TableHolder,
    private readonly targets: RetirementTargets,
    private readonly settings: RetirementSettings,
    private readonly logger: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.plan = new RetirementPlan(settings);
    holder.onApplied(() => {
      // An origin back after it was retired starts healthy and unjudged, even if an answer that
      // finished after its retirement (the grace path) left an outlier record behind.
      for (const origin of this.plan.tableApplied(originsNamedBy(holder.current), this.now())) targets.health.forget(origin);
      this.schedule();
    });
  }

  /** Origins that left the config and are not retired yet. */
  get waiting(): number {
    return this.plan.waiting;
  }

  /** Stops retiring and waits for pools being closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all(this.closing);
  }

  /** Waits until every origin that left the config is retired and its pools are closed (tests). */
  async settled(): Promise<void> {
    while (this.plan.waiting > 0 || this.closing.size > 0) {
      await Promise.all(this.closing);
      if (this.plan.waiting > 0) await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
    }
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined || this.plan.waiting === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retireDue();
      this.schedule();
    }, Math.min(RECHECK_MS, this.settings.settleMs));
    // Leaving origins must not keep a stopping process alive.
    this.timer.unref();
  }

  private retireDue(): void {
    const { upstreams, health, forwarder } = this.targets;
    for (const origin of this.plan.due(this.now(), (o) => upstreams.outstandingOf(o))) {
      upstreams.retire(origin);
      health.forget(origin);
      this.retired += 1;
      const closed = forwarder.retire(origin).catch((error: unknown) => {
        this.logger.warn({ err: error, origin }, 'closing the pool of a retired upstream failed');
      });
      this.closing.add(closed);
      void closed.finally(() => this.closing.delete(closed));
      this.logger.info({ origin }, 'upstream origin left the config: pool closed, health checks stopped');
    }
  }
}
