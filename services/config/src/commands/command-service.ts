import { GraylaneError, type CommandReplyV1, type ConfigChangedEventV1, type ProxyStatusV1 } from '@graylane/contracts';
import { asGraylaneError, type Logger } from '@graylane/runtime';
import { planCommand } from './plan-command.js';
import type { UpstreamPolicy } from './upstream-policy.js';
import { rolloutHistory } from '../history/diff.js';
import type { CommandPlan, TableAt } from '../plan/plan-core.js';
import type { RoutingTableStore } from '../store/routing-table-store.js';

/** Verbs that only read; every other verb writes and records an actor. */
const READ_VERBS = new Set(['get', 'list', 'history', 'status']);

/** Attempts when another replica wrote first and the command did not pin a version. */
const MAX_ATTEMPTS = 5;

/** Counters for /metrics. */
export interface CommandStats {
  handled: number;
  failed: number;
  writes: number;
  lastVersion: number;
}

/** Optional collaborators: where audit events go and who knows the live proxies. */
export interface CommandServiceHooks {
  /** Called after every successful write; failures are logged, never undo the write. */
  onWritten?: (event: ConfigChangedEventV1) => Promise<void>;
  /** Live proxies and their applied versions, for the `status` verb. */
  proxies?: () => ProxyStatusV1[];
  /** What upstreams may point at (link-local and metadata ranges refused by default). */
  upstreamPolicy?: UpstreamPolicy;
}

/**
 * Who sent a command, as authenticated by the transport: the NATS identity bound to a v2
 * subject, or the name of an HTTP token. Undefined on an open bus.
 */
export interface CommandCaller {
  readonly actor: string;
}

/** A planner run against the freshly read table; undefined means "nothing to write". */
export type Planner = (current: TableAt, now: Date) => CommandPlan | undefined;

/**
 * Runs commands against the store: read, plan, compare-and-set write, audit event. A command
 * without an expected version is re-planned on a concurrent write; one with it fails with a
 * version conflict.
 */
export class CommandService {
  readonly stats: CommandStats = { handled: 0, failed: 0, writes: 0, lastVersion: 0 };

  constructor(
    private readonly store: RoutingTableStore,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
    private readonly hooks: CommandServiceHooks = {},
  ) {}

  /**
   * Executes one command and returns its reply; never throws. With a caller, the caller is the
   * actor history records, whatever the body says.
   */
  async execute(verb: string, body: unknown, caller?: CommandCaller): Promise<CommandReplyV1> {
    this.stats.handled += 1;
    try {
      return await this.attempt(verb, caller === undefined ? body : withAuthenticatedActor(verb, body, caller));
    } catch (error) {
      this.stats.failed += 1;
      const failure = asGraylaneError(error);
      if (failure.code === 'GRAYLANE_INTERNAL') this.logger.error({ err: error, verb }, 'command failed');
      return { ok: false, error: failure.toBody() };
    }
  }

  /** The current table and its version, straight from the store. */
  read(): Promise<TableAt> {
    return this.store.read();
  }

  /**
   * Plans against the current table and writes, re-planning on a concurrent write unless the
   * plan pinned a version. Returns the reply, or undefined when the planner had nothing to do.
   * `planned` is a plan the caller already made against a table it read: the first attempt
   * writes that plan at that version instead of reading the store again, and a concurrent write
   * since then fails its compare-and-set like any other.
   */
  async writeWith(
    planner: Planner,
    planned?: { readonly current: TableAt; readonly plan: CommandPlan },
  ): Promise<Extract<CommandReplyV1, { ok: true }> | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      const { current, plan } = attempt === 1 && planned !== undefined ? planned : await this.readAndPlan(planner);
      if (plan === undefined) return undefined;
      if (plan.kind !== 'write') throw new GraylaneError('GRAYLANE_INTERNAL', `planner returned a ${plan.kind} plan to writeWith`);
      try {
        const version = await this.store.write(plan.table, current.version);
        this.stats.writes += 1;
        this.stats.lastVersion = version;
        this.logger.info({ verb: plan.meta.verb, version, rollouts: plan.rollouts.map((r) => r.name) }, 'config written');
        await this.audit(plan, current.version, version);
        return { ok: true, version, rollouts: plan.rollouts };
      } catch (error) {
        const retry =
          error instanceof GraylaneError &&
          error.code === 'GRAYLANE_VERSION_CONFLICT' &&
          plan.expectedVersion === undefined &&
          attempt < MAX_ATTEMPTS;
        if (!retry) throw error;
      }
    }
  }

  /** The current table, read once, and the planner's plan for it. */
  private async readAndPlan(planner: Planner): Promise<{ current: TableAt; plan: CommandPlan | undefined }> {
    const current = await this.store.read();
    this.stats.lastVersion = current.version;
    return { current, plan: planner(current, this.clock()) };
  }

  /** One read of the store, one plan; a write re-reads only when another replica wrote first. */
  private async attempt(verb: string, body: unknown): Promise<CommandReplyV1> {
    const current = await this.store.read();
    this.stats.lastVersion = current.version;
    // rollback-config needs the earlier table; read it before the pure planner runs.
    const toVersion = verb === 'rollback-config' ? (body as { toVersion?: unknown } | null)?.toVersion : undefined;
    const earlier = typeof toVersion === 'number' && Number.isInteger(toVersion) && toVersion > 0 ? await this.store.readAt(toVersion) : undefined;
    // The same planner, with the same upstream policy, re-plans if another replica wrote first.
    const planner = (at: TableAt, now: Date): CommandPlan =>
      planCommand(verb, body, at, now, (v) => (v === toVersion ? earlier : undefined), this.hooks.upstreamPolicy);
    const plan = planner(current, this.clock());
    switch (plan.kind) {
      case 'read':
        return { ok: true, version: current.version, rollouts: plan.rollouts };
      case 'status':
        return { ok: true, version: current.version, rollouts: [], proxies: this.hooks.proxies?.() ?? [] };
      case 'history': {
        const history = rolloutHistory(await this.store.versions(), plan.name, plan.limit);
        if (history.length === 0) {
          throw new GraylaneError('GRAYLANE_NOT_FOUND', `no history for rollout "${plan.name}" in the kept config versions`, { field: '/name' });
        }
        return { ok: true, version: current.version, rollouts: [], history };
      }
      case 'write': {
        const reply = await this.writeWith(planner, { current, plan });
        if (reply === undefined) throw new GraylaneError('GRAYLANE_INTERNAL', `command ${verb} planned nothing to write`);
        return reply;
      }
    }
  }

  private async audit(plan: Extract<CommandPlan, { kind: 'write' }>, previousVersion: number, version: number): Promise<void> {
    if (this.hooks.onWritten === undefined) return;
    const event: ConfigChangedEventV1 = {
      schema: 'graylane.config-changed/v1',
      version,
      previousVersion,
      command: plan.meta.verb,
      rollouts: plan.rollouts.map((r) => r.name),
      actor: plan.meta.actor,
      ...(plan.meta.reason === undefined ? {} : { reason: plan.meta.reason }),
      at: this.clock().toISOString(),
    };
    try {
      await this.hooks.onWritten(event);
    } catch (error) {
      // The write stands; the audit trail misses one event, which the log records.
      this.logger.error({ err: error, version }, 'could not publish the config-changed event');
    }
  }
}

/**
 * The body with `actor` set to the authenticated caller. A different `actor` the body asked for
 * is kept beside it, in the reason (the V1 records have no field for it), so it can inform but
 * never impersonate.
 */
export function withAuthenticatedActor(verb: string, body: unknown, caller: CommandCaller): unknown {
  // Reads carry no actor (their schemas forbid one) and write no history.
  if (READ_VERBS.has(verb)) return body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const { actor: requested, reason, ...rest } = body as { actor?: unknown; reason?: unknown };
  const note = typeof requested === 'string' && requested !== caller.actor ? `requested actor "${requested.slice(0, 64)}"` : undefined;
  const annotated = note === undefined ? reason : typeof reason === 'string' && reason !== '' ? `${reason} (${note})` : note;
  return { ...rest, actor: caller.actor, ...(annotated === undefined ? {} : { reason: annotated }) };
}
