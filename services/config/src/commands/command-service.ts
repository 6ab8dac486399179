import { GraylaneError, type CommandReplyV1 } from '@graylane/contracts';
import { asGraylaneError, type Logger } from '@graylane/runtime';
import { planCommand } from './plan-command.js';
import type { RoutingTableStore } from '../store/routing-table-store.js';

/** Attempts when another replica wrote first and the command did not pin a version. */
const MAX_ATTEMPTS = 5;

/** Counters for /metrics. */
export interface CommandStats {
  handled: number;
  failed: number;
  writes: number;
  lastVersion: number;
}

/**
 * Runs commands against the store: read, plan, compare-and-set write. A command without an
 * expected version is re-planned on a concurrent write; one with it fails with a version conflict.
 */
export class CommandService {
  readonly stats: CommandStats = { handled: 0, failed: 0, writes: 0, lastVersion: 0 };

  constructor(
    private readonly store: RoutingTableStore,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Executes one command and returns its reply; never throws. */
  async execute(verb: string, body: unknown): Promise<CommandReplyV1> {
    this.stats.handled += 1;
    try {
      return await this.attempt(verb, body, 1);
    } catch (error) {
      this.stats.failed += 1;
      const failure = asGraylaneError(error);
      if (failure.code === 'GRAYLANE_INTERNAL') this.logger.error({ err: error, verb }, 'command failed');
      return { ok: false, error: failure.toBody() };
    }
  }

  private async attempt(verb: string, body: unknown, attempt: number): Promise<CommandReplyV1> {
    const current = await this.store.read();
    this.stats.lastVersion = current.version;
    const plan = planCommand(verb, body, current, this.clock());
    if (plan.kind === 'read') return { ok: true, version: current.version, rollouts: plan.rollouts };
    try {
      const version = await this.store.write(plan.table, current.version);
      this.stats.writes += 1;
      this.stats.lastVersion = version;
      this.logger.info({ verb, version, rollouts: plan.rollouts.map((r) => r.name) }, 'config written');
      return { ok: true, version, rollouts: plan.rollouts };
    } catch (error) {
      const retry =
        error instanceof GraylaneError &&
        error.code === 'GRAYLANE_VERSION_CONFLICT' &&
        plan.expectedVersion === undefined &&
        attempt < MAX_ATTEMPTS;
      if (retry) return this.attempt(verb, body, attempt + 1);
      throw error;
    }
  }
}
