import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireBuilt } from './repo.js';
import type { StackProcess, StackState } from './state.js';
import { judgeExisting } from './up.js';

// A pid that surely ran and surely ended: a child that has exited and been reaped.
const deadPid = spawnSync('true').pid;
const alive: StackProcess = { name: 'me', pid: process.pid, log: '/dev/null' };
const dead: StackProcess = { name: 'gone', pid: deadPid, log: '/dev/null' };

const state = (processes: StackProcess[], extra: Partial<StackState> = {}): StackState => ({
  mode: 'local',
  startedAt: new Date().toISOString(),
  natsUrl: 'nats://127.0.0.1:4222',
  redisUrl: 'redis://127.0.0.1:6379',
  clickhouseUrl: 'http://127.0.0.1:8123',
  endpoints: {},
  processes,
  ...extra,
});

describe('judgeExisting: what a second graylane up makes of the state it finds', () => {
  it('running when every recorded process runs', () => {
    expect(judgeExisting(state([alive, alive]))).toBe('running');
  });

  it('partial when some run and some do not, so up refuses rather than start a second copy', () => {
    expect(judgeExisting(state([alive, dead]))).toBe('partial');
  });

  it('stale when none runs (after a reboot), or none was ever recorded by an up that died', () => {
    expect(judgeExisting(state([dead, dead]))).toBe('stale');
    expect(judgeExisting(state([], { startingPid: deadPid }))).toBe('stale');
  });

  it('starting while the up that wrote it still runs', () => {
    expect(judgeExisting(state([], { startingPid: process.pid }))).toBe('starting');
  });
});

describe('requireBuilt', () => {
  it('says to run pnpm build, naming what is missing', () => {
    const root = mkdtempSync(join(tmpdir(), 'graylane-root-'));
    try {
      expect(() => requireBuilt(root)).toThrow(/services\/proxy\/dist\/main\.js.*missing: run pnpm build first/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
