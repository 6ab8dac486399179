import type { GuardrailPauseEventV1, RollbackEventV1, RolloutRecordV1, VerdictV2 } from '@graylane/contracts';
import type { Logger } from '@graylane/runtime';
import type { WindowPool } from '../store/metrics-store.js';
import { Evidence, judge, settingsOf, type GuardrailSettings, type SideStats } from './judge.js';
import type { VersionedTable } from './routing-table-watch.js';

/** What the loop reads and writes; real stores and NATS in the service, anything in a test. */
export interface GuardrailDeps {
  pools: { windowPools(name: string, startMs: number, endMs: number): Promise<WindowPool[]> };
  verdicts: { insert(verdict: VerdictV2): Promise<void> };
  /** Publishes with `eventId` as the message id; 'duplicate' when another replica was first. */
  publishRollback(event: RollbackEventV1): Promise<'published' | 'duplicate'>;
  /** Same, for the low-traffic pause (`onInconclusive: pause`). */
  publishPause(event: GuardrailPauseEventV1): Promise<'published' | 'duplicate'>;
  table(): VersionedTable | undefined;
  now(): number;
  logger: Logger;
  /** Told of every verdict stored and every rollback sent, for /metrics. */
  onVerdict?(verdict: VerdictV2, published: 'published' | 'duplicate' | undefined): void;
}

export interface GuardrailOptions {
  /**
   * How long after a window ends it is judged: proxies publish every ~1 s and analytics inserts
   * within its flush time, so a window is complete in ClickHouse a little after it ends.
   */
  settleMs: number;
  /** How often the loop looks for windows that are due. */
  tickMs: number;
}

/** What the loop remembers per rollout between windows. */
interface RolloutMemory {
  lastWindowEndMs: number;
  /** Since the stable and canary versions it names began; a new object when either changes. */
  evidence: Evidence;
  /** Config version a rollback was already sent for; not sent again for it. */
  rolledBackVersion?: number;
  /** Inconclusive streak at which the low-traffic policy last acted: it acts again `inconclusiveLimit` later. */
  actedAtStreak: number;
}

/** States in which the canary takes traffic worth judging. */
const JUDGED_STATES: ReadonlySet<RolloutRecordV1['state']> = new Set(['progressing', 'paused']);

/**
 * Judges every rollout that has an `analysis` block, once per interval, from ClickHouse.
 *
 * Windows are aligned to multiples of the interval since the epoch, so every analytics replica
 * judges the same windows from the same rows and reaches the same verdict; the verdict table
 * keeps one row per rollout and window, and a rollback's `eventId` is
 * `<rollout>:<configVersion>:<windowEndMs>`, so JetStream's de-duplication keeps one event when
 * several replicas publish the same breach.
 */
export class GuardrailLoop {
  private readonly deps: GuardrailDeps;
  private readonly options: GuardrailOptions;
  private readonly memory = new Map<string, RolloutMemory>();
  private readonly failingRollouts = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(deps: GuardrailDeps, options: GuardrailOptions) {
    this.deps = deps;
    this.options = options;
  }

  /** Starts ticking. */
  start(): void {
    this.timer = setInterval(() => {
      // One tick at a time: a slow ClickHouse must not pile up evaluations.
      this.tick = this.tick
        .then(async () => {
          await this.evaluateDue();
        })
        // A rejected chain would skip every later tick: automatic rollback silently off.
        .catch((error: unknown) => this.deps.logger.error({ err: error }, 'guardrail tick failed'));
    }, this.options.tickMs);
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.tick;
  }

  /** Judges every window that is due now. Never rejects; returns the verdicts it stored. */
  async evaluateDue(): Promise<VerdictV2[]> {
    const current = this.deps.table();
    if (current === undefined || this.stopped) return [];
    const stored: VerdictV2[] = [];
    for (const [name, record] of Object.entries(current.table.rollouts)) {
      const analysis = record.spec.analysis;
      if (analysis === undefined || !JUDGED_STATES.has(record.state)) {
        this.memory.delete(name);
        continue;
      }
      try {
        const settings = settingsOf(analysis);
        const windowEndMs = Math.floor((this.deps.now() - this.options.settleMs) / settings.intervalMs) * settings.intervalMs;
        const memory = this.memory.get(name);
        if (memory !== undefined && windowEndMs <= memory.lastWindowEndMs) continue;
        stored.push(await this.evaluate(name, record, current.version, settings, windowEndMs));
        if (this.failingRollouts.delete(name)) this.deps.logger.info({ rollout: name }, 'guardrail evaluation works again');
      } catch (error) {
        // Logged once per outage per rollout; the window is retried on the next tick.
        if (!this.failingRollouts.has(name)) {
          this.failingRollouts.add(name);
          this.deps.logger.warn({ err: error, rollout: name }, 'guardrail evaluation failed; retrying every tick');
        }
      }
    }
    return stored;
  }

  private async evaluate(name: string, record: RolloutRecordV1, configVersion: number, settings: GuardrailSettings, windowEndMs: number): Promise<VerdictV2> {
    const windowStartMs = windowEndMs - settings.intervalMs;
    const pools = await this.deps.pools.windowPools(name, windowStartMs, windowEndMs);
    const stable = sideOf(pools, 'stable', record.spec.stable.name);
    const canary = sideOf(pools, 'canary', record.spec.canary?.name ?? '');

    const previous = this.memory.get(name);
    // Evidence is about one pair of versions: a new canary (or stable) starts a new e-process. A
    // weight change does not: each window's test is conditional on that window's split.
    const carried =
      previous !== undefined && previous.evidence.canaryVersion === canary.version && previous.evidence.stableVersion === stable.version ? previous : undefined;
    // Judged on a copy: a failure below (store or NATS down) retries the window, and adding it
    // twice would count its traffic twice, so the new evidence is only kept on success.
    const evidence = carried?.evidence.clone() ?? new Evidence(stable.version, canary.version, windowEndMs);
    const judgement = judge(settings, evidence, stable, canary);
    return this.record(name, record, configVersion, settings, windowStartMs, windowEndMs, evidence, judgement, carried);
  }

  private async record(
    name: string,
    record: RolloutRecordV1,
    configVersion: number,
    settings: GuardrailSettings,
    windowStartMs: number,
    windowEndMs: number,
    evidence: Evidence,
    judgement: ReturnType<typeof judge>,
    carried: RolloutMemory | undefined,
  ): Promise<VerdictV2> {
    const rollback = judgement.outcome === 'fail' && settings.enabled && carried?.rolledBackVersion !== configVersion;
    const actedAtStreak = Math.min(carried?.actedAtStreak ?? 0, judgement.inconclusiveStreak);
    // Only a progressing rollout is paused; a paused one (by us or an operator) is left alone.
    const policyDue = judgement.inconclusiveStreak - actedAtStreak >= settings.inconclusiveLimit && record.state === 'progressing';
    const action: VerdictV2['action'] = rollback ? 'rollback' : policyDue ? settings.onInconclusive : 'none';
    const seconds = (evidence.windows * settings.intervalMs) / 1000;
    const verdict: VerdictV2 = {
      schema: 'graylane.verdict/v2',
      rollout: name,
      configVersion,
      window: { startMs: windowStartMs, endMs: windowEndMs },
      evaluatedAt: new Date(this.deps.now()).toISOString(),
      outcome: judgement.outcome,
      breaches: judgement.breaches,
      reason: action === 'pause' || action === 'alert' ? `${judgement.inconclusiveStreak} inconclusive windows (${action}): ${judgement.reason}` : judgement.reason,
      // Kept for V1 readers: the windows the evidence holds, since a rollback no longer needs a streak.
      consecutiveFailures: evidence.windows,
      action,
      p99Ratio: judgement.p99Ratio,
      errorRateIncrease: judgement.errorRateIncrease,
      errorPValue: judgement.errorPValue,
      stable: judgement.stable,
      canary: judgement.canary,
      tests: judgement.tests,
      evidence: {
        sinceMs: evidence.sinceMs,
        windows: evidence.windows,
        inconclusiveWindows: judgement.inconclusiveStreak,
        inconclusiveLimit: settings.inconclusiveLimit,
        onInconclusive: settings.onInconclusive,
        falseRollbackBudget: settings.significance,
        minRequests: settings.minRequests,
        canaryRatePerSecond: seconds > 0 ? evidence.canary.requests / seconds : 0,
        stableRatePerSecond: seconds > 0 ? evidence.stable.requests / seconds : 0,
        needs: judgement.needs,
      },
    };
    let published: 'published' | 'duplicate' | undefined;
    const eventId = `${name}:${configVersion}:${windowEndMs}`;
    if (action === 'rollback') {
      const [breach] = judgement.breaches;
      published = await this.deps.publishRollback({
        schema: 'graylane.rollback-event/v1',
        eventId,
        rollout: name,
        configVersion,
        detectedAt: verdict.evaluatedAt,
        breach: breach ?? 'p99-ratio',
        reason: judgement.reason.slice(0, 900),
        window: verdict.window,
        stable: judgement.stable,
        canary: judgement.canary,
      });
      this.deps.logger.warn({ rollout: name, configVersion, reason: judgement.reason, published }, 'guardrail breached: rollback requested');
    } else if (action === 'pause') {
      published = await this.deps.publishPause({
        schema: 'graylane.guardrail-pause-event/v1',
        eventId,
        rollout: name,
        configVersion,
        canaryVersion: evidence.canaryVersion,
        detectedAt: verdict.evaluatedAt,
        inconclusiveWindows: judgement.inconclusiveStreak,
        reason: `guardrail could not judge ${evidence.canaryVersion} for ${judgement.inconclusiveStreak} windows: ${judgement.needs}`.slice(0, 1024),
      });
      this.deps.logger.warn({ rollout: name, configVersion, needs: judgement.needs, published }, 'too little traffic to judge: pause requested');
    } else if (action === 'alert') {
      this.deps.logger.warn({ rollout: name, configVersion, windows: judgement.inconclusiveStreak, needs: judgement.needs }, 'too little traffic to judge: canary unguarded');
    }
    // Stored after publishing: a verdict that says "rollback" must not exist without the event.
    await this.deps.verdicts.insert(verdict);
    this.memory.set(name, {
      lastWindowEndMs: windowEndMs,
      evidence,
      rolledBackVersion: rollback ? configVersion : carried?.rolledBackVersion,
      actedAtStreak: action === 'pause' || action === 'alert' ? judgement.inconclusiveStreak : actedAtStreak,
    });
    this.deps.onVerdict?.(verdict, published);
    return verdict;
  }
}

/** One side's traffic of the version the spec names now; traffic of older versions is left out. */
export function sideOf(pools: readonly WindowPool[], pool: 'stable' | 'canary', version: string): SideStats {
  const found = pools.find((one) => one.pool === pool && one.version === version);
  return { version, requests: found?.requests ?? 0, errors: found?.errors ?? 0, buckets: found?.buckets ?? [] };
}
