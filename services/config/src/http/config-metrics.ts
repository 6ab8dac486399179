import type { ProxyStatusV1, RolloutRecordV1, RolloutState } from '@graylane/contracts';
import { Counter, Gauge, Registry } from 'prom-client';
import type { TableAt } from '../plan/plan-core.js';
import type { CommandStats } from '../commands/command-service.js';

/** What the config service's `/metrics` reads, at scrape time only. */
export interface ConfigMetricsSources {
  stats: Readonly<CommandStats>;
  /** The current table, read from the KV bucket per scrape. */
  read: () => Promise<TableAt>;
  /** The step driver's state, when this process runs one. */
  steps?: { readonly holdsLease: boolean; readonly advanced: number } | undefined;
  /** Live proxies and the version each applies (heartbeats); absent in tests without NATS. */
  proxies?: (() => readonly ProxyStatusV1[]) | undefined;
}

/** The config service's registry, and its exposition with the table read once for the scrape. */
export interface ConfigMetrics {
  readonly registry: Registry;
  render(): Promise<string>;
}

const STATES: readonly RolloutState[] = ['progressing', 'paused', 'promoted', 'aborted', 'rolled_back'];

/** A scrape must not hang on NATS: without the table in this time, the rollout series are left out of that scrape. */
const TABLE_READ_TIMEOUT_MS = 1_000;

/**
 * The config service's registry (one per app, never prom-client's global one). Counters come from
 * the command service; the rollout series (weight, state, step) from the table as stored, so every
 * replica reports the same values and Grafana can take any one of them (`max by (rollout)`).
 */
export function configMetrics(sources: ConfigMetricsSources): ConfigMetrics {
  const registry = new Registry();
  const scalar = (type: 'counter' | 'gauge', name: string, help: string, read: () => number): void => {
    if (type === 'gauge') {
      new Gauge({ name, help, registers: [registry], collect: function collect() {
        this.set(read());
      } });
    } else {
      new Counter({ name, help, registers: [registry], collect: function collect() {
        this.reset();
        this.inc(read());
      } });
    }
  };
  const { stats } = sources;
  scalar('counter', 'graylane_config_commands_total', 'Commands received (NATS and HTTP), read-only ones included.', () => stats.handled);
  scalar('counter', 'graylane_config_command_failures_total', 'Commands answered with an error.', () => stats.failed);
  scalar('counter', 'graylane_config_writes_total', 'Routing-table versions this replica wrote.', () => stats.writes);
  scalar('gauge', 'graylane_config_version', 'Latest config version (KV revision) this replica read or wrote.', () => stats.lastVersion);
  scalar('gauge', 'graylane_config_step_lease_held', '1 while this replica holds the step lease and drives progressive steps.', () =>
    sources.steps?.holdsLease === true ? 1 : 0,
  );
  scalar('counter', 'graylane_config_steps_advanced_total', 'Progressive steps this replica advanced.', () => sources.steps?.advanced ?? 0);

  const proxies = sources.proxies;
  new Gauge({
    name: 'graylane_config_proxies',
    help: 'Live proxies (heard in the last 6 s), and those of them still on an older config version than this replica knows.',
    labelNames: ['state'],
    registers: [registry],
    collect: function collect() {
      if (proxies === undefined) return;
      const live = proxies();
      this.set({ state: 'live' }, live.length);
      this.set({ state: 'behind' }, live.filter((proxy) => proxy.configVersion < stats.lastVersion).length);
    },
  });

  // The rollout families read the table `render` fetched for this scrape.
  let scraped: TableAt | undefined;
  const rollouts = (): RolloutRecordV1[] => Object.values(scraped?.table.rollouts ?? {});
  new Gauge({
    name: 'graylane_config_rollout_weight',
    help: 'Stored canary weight of each rollout, in percent (0 while rolled back, aborted or promoted).',
    labelNames: ['rollout'],
    registers: [registry],
    collect: function collect() {
      this.reset();
      for (const record of rollouts()) this.set({ rollout: record.name }, record.spec.traffic.weight);
    },
  });
  new Gauge({
    name: 'graylane_config_rollout_state',
    help: 'Lifecycle state of each rollout: 1 for its current state, 0 for the others.',
    labelNames: ['rollout', 'state'],
    registers: [registry],
    collect: function collect() {
      this.reset();
      for (const record of rollouts()) {
        for (const state of STATES) this.set({ rollout: record.name, state }, record.state === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'graylane_config_rollout_step',
    help: 'Index (from 0) of the step each rollout with steps is at.',
    labelNames: ['rollout'],
    registers: [registry],
    collect: function collect() {
      this.reset();
      for (const record of rollouts()) if (record.step !== undefined) this.set({ rollout: record.name }, record.step.index);
    },
  });
  return {
    registry,
    render: async () => {
      scraped = await readWithin(sources.read, TABLE_READ_TIMEOUT_MS);
      return registry.metrics();
    },
  };
}

/** `read()`, or undefined when it fails or takes longer than `ms`. */
async function readWithin(read: () => Promise<TableAt>, ms: number): Promise<TableAt | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([read().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
