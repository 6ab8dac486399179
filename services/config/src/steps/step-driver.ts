import type { Logger } from '@graylane/runtime';
import type { CommandService } from '../commands/command-service.js';
import { writePlan } from '../plan/plan-core.js';
import { analysisGate, type GateDecision } from './analysis-gate.js';
import { advanceSteps, dueSteps, STEP_DRIVER_ACTOR } from './plan-steps.js';
import type { StepLease } from './step-lease.js';
import type { VerdictSource } from './verdict-client.js';

/** State of the driver, for /metrics and tests. */
export interface StepDriverStats {
  holdsLease: boolean;
  advanced: number;
}

/**
 * Advances progressive steps on a timer, on the one replica that holds the lease. Each tick
 * renews (or takes over) the lease, then writes the rollouts whose pause ran out with
 * compare-and-set, so even a replica that lost the lease mid-tick cannot overwrite newer config.
 * Returns a stopper that releases the lease.
 */
export function startStepDriver(
  service: CommandService,
  lease: StepLease,
  tickMs: number,
  logger: Logger,
  verdicts: VerdictSource = async () => undefined,
): { stats: StepDriverStats; stop: () => Promise<void> } {
  const stats: StepDriverStats = { holdsLease: false, advanced: 0 };
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const tick = async (): Promise<void> => {
    const held = await lease.acquire();
    if (held !== stats.holdsLease) logger.info({ holder: lease.holder, held }, held ? 'took the step lease' : 'lost the step lease');
    stats.holdsLease = held;
    if (!held || stopped) return;
    // Ask analytics (outside the pure planner) about the rollouts due to advance that want it.
    const decisions = new Map<string, GateDecision>();
    const { table } = await service.read();
    for (const record of dueSteps(table, new Date())) {
      const sinceMs = Date.now() - Date.parse(record.step?.startedAt ?? '');
      const found = record.spec.analysis === undefined ? [] : await verdicts(record.name, Math.max(1, Math.ceil(sinceMs / 1000)));
      const decision = analysisGate(record, found);
      decisions.set(record.name, decision);
      if (!decision.pass) logger.debug({ rollout: record.name, why: decision.why }, 'step held by analysis');
    }
    const reply = await service.writeWith((current, now) => {
      const moved = advanceSteps(current.table, now, (record) => decisions.get(record.name) ?? { pass: false, why: 'not judged this tick' });
      return moved.length === 0 ? undefined : writePlan(current, moved, [], 'step', { actor: STEP_DRIVER_ACTOR, reason: moved[0]?.reason }, now);
    });
    if (reply !== undefined) {
      stats.advanced += reply.rollouts.length;
      logger.info({ version: reply.version, rollouts: reply.rollouts.map((r) => `${r.name}@${r.spec.traffic.weight}%`) }, 'advanced steps');
    }
  };

  const timer = setInterval(() => {
    // One tick at a time: a slow NATS must not pile up overlapping ticks.
    running = running.then(tick).catch((error: unknown) => logger.warn({ err: error }, 'step tick failed'));
  }, tickMs);
  timer.unref();

  return {
    stats,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
      if (stats.holdsLease) await lease.release();
      stats.holdsLease = false;
    },
  };
}
