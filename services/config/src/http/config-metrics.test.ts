import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { httpAuthFrom } from '@graylane/runtime';
import { differencesFromDoc, parsePrometheusText, rolloutManifest, type RolloutStep } from '@graylane/testkit';
import { buildApp } from '../app.js';
import { CommandService } from '../commands/command-service.js';
import { memoryTableStore } from '../test-support/memory-store.js';

const TOKEN = 'config-token-0123456789abcdef';

/** The HTTP app over an in-memory store; `failReads` makes the store's reads fail, as when NATS is down. */
function appWith(options: { failReads?: () => boolean } = {}) {
  const store = memoryTableStore(options);
  const logger = pino({ level: 'silent' });
  const service = new CommandService(store, logger);
  const app = buildApp({
    service,
    auth: httpAuthFrom({ GRAYLANE_CONFIG_TOKEN: TOKEN }, 'GRAYLANE_CONFIG_TOKEN', 'GRAYLANE_CONFIG_AUTH'),
    isReady: () => true,
    steps: { holdsLease: true, advanced: 2 },
    proxies: () => [
      { proxyId: 'p1', configVersion: 2, lastSeen: '' },
      { proxyId: 'p2', configVersion: 1, lastSeen: '' },
    ],
    logger,
  });
  return { app, service };
}

function rollout(name: string, pathPrefix: string, steps?: RolloutStep[]) {
  return { spec: rolloutManifest({ name, pathPrefix, weight: 5, steps }) };
}

async function scrape(app: ReturnType<typeof appWith>['app']) {
  const response = await app.inject({ url: '/metrics' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(response.body);
}

const valueOf = (families: Map<string, { samples: readonly { labels: Record<string, string>; value: number }[] }>, name: string, labels: Record<string, string> = {}) =>
  families.get(name)?.samples.find((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;

describe('config /metrics', () => {
  it('exposes each rollout\'s weight, state and step, the counters and the proxies, exactly as docs/metrics.md lists them', async () => {
    const { app, service } = appWith();
    expect((await service.execute('apply', rollout('shop', '/shop'))).ok).toBe(true);
    expect((await service.execute('apply', rollout('cart', '/cart', [{ weight: 10, pause: '1m' }, { weight: 50 }]))).ok).toBe(true);
    expect((await service.execute('weight', { name: 'shop', weight: 12.5 })).ok).toBe(true);
    expect((await service.execute('abort', { name: 'cart' })).ok).toBe(true);
    expect((await service.execute('weight', { name: 'nope', weight: 1 })).ok).toBe(false);

    const families = await scrape(app);
    expect(differencesFromDoc(families, ['config'])).toEqual([]);
    expect(valueOf(families, 'graylane_config_rollout_weight', { rollout: 'shop' })).toBe(12.5);
    expect(valueOf(families, 'graylane_config_rollout_weight', { rollout: 'cart' })).toBe(0);
    expect(valueOf(families, 'graylane_config_rollout_state', { rollout: 'cart', state: 'aborted' })).toBe(1);
    expect(valueOf(families, 'graylane_config_rollout_state', { rollout: 'cart', state: 'progressing' })).toBe(0);
    expect(valueOf(families, 'graylane_config_rollout_state', { rollout: 'shop', state: 'progressing' })).toBe(1);
    expect(valueOf(families, 'graylane_config_rollout_step', { rollout: 'cart' })).toBe(0);
    expect(valueOf(families, 'graylane_config_rollout_step', { rollout: 'shop' })).toBeUndefined();
    expect(valueOf(families, 'graylane_config_commands_total')).toBe(5);
    expect(valueOf(families, 'graylane_config_command_failures_total')).toBe(1);
    expect(valueOf(families, 'graylane_config_writes_total')).toBe(4);
    expect(valueOf(families, 'graylane_config_version')).toBe(4);
    expect(valueOf(families, 'graylane_config_step_lease_held')).toBe(1);
    expect(valueOf(families, 'graylane_config_steps_advanced_total')).toBe(2);
    expect(valueOf(families, 'graylane_config_proxies', { state: 'live' })).toBe(2);
    expect(valueOf(families, 'graylane_config_proxies', { state: 'behind' })).toBe(2);
  });

  it('still answers when the table cannot be read, without the rollout series', async () => {
    let down = false;
    const { app, service } = appWith({ failReads: () => down });
    expect((await service.execute('apply', rollout('shop', '/shop'))).ok).toBe(true);
    expect(valueOf(await scrape(app), 'graylane_config_rollout_weight', { rollout: 'shop' })).toBe(5);
    down = true;
    const families = await scrape(app);
    expect(families.get('graylane_config_rollout_weight')?.samples).toEqual([]);
    expect(valueOf(families, 'graylane_config_writes_total')).toBe(1);
  });
});
