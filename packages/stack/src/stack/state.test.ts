import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimState, readState, removeState, stackHome, statePath, writeState, type StackState } from './state.js';

const sample = (): StackState => ({
  mode: 'local',
  startedAt: '2026-01-01T00:00:00.000Z',
  natsUrl: 'nats://127.0.0.1:4222',
  redisUrl: 'redis://127.0.0.1:6379',
  clickhouseUrl: 'http://127.0.0.1:8123',
  endpoints: { proxy: 'http://127.0.0.1:8080/' },
  processes: [{ name: 'nats-server', pid: 4242, log: '/tmp/nats.log', tier: 'infra', startTicks: 99 }],
});

describe('stack state', () => {
  let home: string;
  let env: Record<string, string>;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'graylane-state-'));
    env = { GRAYLANE_HOME: join(home, 'nested') };
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('lives in GRAYLANE_HOME, else in ~/.graylane', () => {
    expect(stackHome(env)).toBe(join(home, 'nested'));
    expect(stackHome({})).toBe(join(homedir(), '.graylane'));
    expect(stackHome({ GRAYLANE_HOME: '' })).toBe(join(homedir(), '.graylane'));
  });

  it('is absent until written, reads back as written, and is gone once removed', () => {
    expect(readState(env)).toBeUndefined();
    writeState(env, sample());
    expect(readState(env)).toEqual(sample());
    removeState(env);
    expect(readState(env)).toBeUndefined();
    removeState(env);
  });

  it('is claimed by one up only', () => {
    expect(claimState(env, sample())).toBe(true);
    expect(claimState(env, { ...sample(), natsUrl: 'nats://other:1' })).toBe(false);
    expect(readState(env)?.natsUrl).toBe('nats://127.0.0.1:4222');
  });

  it('says which file is broken and what to do', () => {
    writeState(env, sample());
    writeFileSync(statePath(env), '{ not json');
    expect(() => readState(env)).toThrow(/state\.json is not valid JSON.*remove it/);
    writeFileSync(statePath(env), JSON.stringify({ hello: 'world' }));
    expect(() => readState(env)).toThrow(/not a graylane stack state/);
  });
});
