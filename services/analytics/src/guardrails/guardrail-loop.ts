import type { RollbackEventV1, RolloutRecordV1, VerdictV1 } from '@graylane/contracts';
import type { Logger } from '@graylane/runtime';
import type { WindowPool } from '../store/metrics-store.js';
import { judge, nextStreak, settingsOf, type GuardrailSettings, type SideStats } from './judge.js';
import type { VersionedTable } from './routing-table-watch.js';

/** What the loop reads and writes; real stores and NATS in the service, anything in a test. */
export interface GuardrailDeps {
  pools: { windowPools(name: string, startMs: number, endMs: number): Promise<WindowPool[]> };
  verdicts: { insert(verdict: VerdictV1): Promise<void> };
  /** Publishes with `eventId` as the message id; 'duplicate' when another replica was first. */
  publishRollback(event: RollbackEventV1): Promise<'published' | 'duplicate'>;
  table(): VersionedTable | undefined;
  now(): number;
  logger: Logger;
  /** Told of every verdict stored and every rollback sent, for /metrics. */
  onVerdict?(verdict: VerdictV1, published: 'published' | 'duplicate' | undefined): void;
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
  streak: number;
  canaryVersion: string;
  /** Config version a rollback was already sent for; not sent again for it. */
  rolledBackVersion?: number;
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
  readonly #deps: GuardrailDeps;
  readonly #options: GuardrailOptions;
  readonly #memory = new Map<string, RolloutMemory>();
  readonly #failingRollouts = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(deps: GuardrailDeps, options: GuardrailOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  /** Starts ticking. */
  start(): void {
    this.#timer = setInterval(() => {
      // One tick at a time: a slow ClickHouse must not pile up evaluations.
      this.#tick = this.#tick
        .then(async () => {
          await this.evaluateDue();
        })
        // A rejected chain would skip every later tick: automatic rollback silently off.
        .catch((error: unknown) => this.#deps.logger.error({ err: error }, 'guardrail tick failed'));
    }, this.#options.tickMs);
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#tick;
  }

  /** Judges every window that is due now. Never rejects; returns the verdicts it stored. */
  async evaluateDue(): Promise<VerdictV1[]> {
    const current = this.#deps.table();
    if (current === undefined || this.#stopped) return [];
    const stored: VerdictV1[] = [];
    for (const [name, record] of Object.entries(current.table.rollouts)) {
      const analysis = record.spec.analysis;
      if (analysis === undefined || !JUDGED_STATES.has(record.state)) {
        this.#memory.delete(name);
        continue;
      }
      try {
        const settings = settingsOf(analysis);
        const windowEndMs = Math.floor((this.#deps.now() - this.#options.settleMs) / settings.intervalMs) * settings.intervalMs;
        const memory = this.#memory.get(name);
        if (memory !== undefined && windowEndMs <= memory.lastWindowEndMs) continue;
        stored.push(await this.#evaluate(name, record, current.version, settings, windowEndMs));
        if (this.#failingRollouts.delete(name)) this.#deps.logger.info({ rollout: name }, 'guardrail evaluation works again');
      } catch (error) {
        // Logged once per outage per rollout; the window is retried on the next tick.
        if (!this.#failingRollouts.has(name)) {
          this.#failingRollouts.add(name);
          this.#deps.logger.warn({ err: error, rollout: name }, 'guardrail evaluation failed; retrying every tick');
        }
      }
    }
    return stored;
  }

  async #evaluate(name: string, record: RolloutRecordV1, configVersion: number, settings: GuardrailSettings, windowEndMs: number): Promise<VerdictV1> {
    const windowStartMs = windowEndMs - settings.intervalMs;
    const pools = await this.#deps.pools.windowPools(name, windowStartMs, windowEndMs);
    const stable = sideOf(pools, 'stable', record.spec.stable.name);
    const canary = sideOf(pools, 'canary', record.spec.canary?.name ?? '');
    const judgement = judge(settings, stable, canary);

    const previous = this.#memory.get(name);
    // A new canary version starts with a clean record.
    const carried = previous !== undefined && previous.canaryVersion === canary.version ? previous : undefined;
    const streak = nextStreak(carried?.streak ?? 0, judgement.outcome);
    const due =
      judgement.outcome === 'fail' && streak >= settings.consecutiveFailures && settings.enabled && carried?.rolledBackVersion !== configVersion;
    const verdict: VerdictV1 = {
      rollout: name,
      configVersion,
      window: { startMs: windowStartMs, endMs: windowEndMs },
      evaluatedAt: new Date(this.#deps.now()).toISOString(),
      outcome: judgement.outcome,
      breaches: judgement.breaches,
      reason: judgement.reason,
      consecutiveFailures: streak,
      action: due ? 'rollback' : 'none',
      p99Ratio: judgement.p99Ratio,
      errorRateIncrease: judgement.errorRateIncrease,
      errorPValue: judgement.errorPValue,
      stable: judgement.stable,
      canary: judgement.canary,
    };
    let published: 'published' | 'duplicate' | undefined;
    if (due) {
      const [breach] = judgement.breaches;
      published = await this.#deps.publishRollback({
        schema: 'graylane.rollback-event/v1',
        eventId: `${name}:${configVersion}:${windowEndMs}`,
        rollout: name,
        configVersion,
        detectedAt: verdict.evaluatedAt,
        breach: breach ?? 'p99-ratio',
        reason: judgement.reason,
        window: verdict.window,
        stable: judgement.stable,
        canary: judgement.canary,
      });
      this.#deps.logger.warn({ rollout: name, configVersion, reason: judgement.reason, published }, 'guardrail breached: rollback requested');
    }
    // Stored after publishing: a verdict that says "rollback" must not exist without the event.
    await this.#deps.verdicts.insert(verdict);
    this.#memory.set(name, {
      lastWindowEndMs: windowEndMs,
      streak: due ? 0 : streak,
      canaryVersion: canary.version,
      rolledBackVersion: due ? configVersion : carried?.rolledBackVersion,
    });
    this.#deps.onVerdict?.(verdict, published);
    return verdict;
  }
}

/** One side's traffic of the version the spec names now; traffic of older versions is left out. */
function sideOf(pools: readonly WindowPool[], pool: 'stable' | 'canary', version: string): SideStats {
  const found = pools.find((one) => one.pool === pool && one.version === version);
  return { version, requests: found?.requests ?? 0, errors: found?.errors ?? 0, buckets: found?.buckets ?? [] };
}
