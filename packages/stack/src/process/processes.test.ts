import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { groupMembers, isAlive, parseProcStat, spawnDetached, stopProcesses, stopStack, type ProcessRecord } from './processes.js';

describe('parseProcStat', () => {
  it('counts fields after the last parenthesis, so odd command names do not shift them', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    fields[2] = '777';
    fields[19] = '123456';
    expect(parseProcStat(`42 (we) ird (name) ${fields.join(' ')}`)).toEqual({ state: 'S', pgrp: 777, startTicks: 123456 });
    expect(parseProcStat('garbage')).toBeUndefined();
  });
});

describe('detached processes', () => {
  let dir: string;
  const started: ProcessRecord[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'graylane-proc-'));
  });
  afterEach(async () => {
    await stopProcesses(started.splice(0), 500);
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (name: string, script: string): ProcessRecord => {
    const p = spawnDetached({ name, bin: 'sh', args: ['-c', script], env: process.env, log: join(dir, 'logs', `${name}.log`), tier: 'app' });
    started.push(p);
    return p;
  };

  it('runs in its own process group, writes to its log, and is alive until stopped', async () => {
    const p = start('talker', 'echo hello from talker; exec sleep 30');
    await sleep(200);
    expect(isAlive(p)).toBe(true);
    expect(p.startTicks).toBeGreaterThan(0);
    expect(groupMembers(p.pid)).toEqual([p.pid]);
    expect(readFileSync(p.log, 'utf8')).toContain('hello from talker');
    const [result] = await stopProcesses([p]);
    expect(result).toEqual({ name: 'talker', pid: p.pid, outcome: 'stopped' });
    expect(isAlive(p)).toBe(false);
  });

  it('stops what a process forked, not just the process itself', async () => {
    const p = start('forker', 'sleep 30 & sleep 30 & wait');
    await sleep(200);
    expect(groupMembers(p.pid).length).toBe(3);
    await stopProcesses([p]);
    expect(groupMembers(p.pid)).toEqual([]);
  });

  it('kills a process that ignores SIGTERM once the grace period is over', async () => {
    const p = start('stubborn', "trap '' TERM; while true; do sleep 0.1; done");
    await sleep(200);
    const began = Date.now();
    const [result] = await stopProcesses([p], 600);
    expect(result?.outcome).toBe('killed');
    expect(Date.now() - began).toBeGreaterThanOrEqual(600);
    expect(groupMembers(p.pid)).toEqual([]);
  });

  it('does not take a pid now held by another process for ours', async () => {
    const p = start('sleeper', 'exec sleep 30');
    await sleep(100);
    const impostor = { ...p, startTicks: (p.startTicks ?? 0) + 1 };
    expect(isAlive(impostor)).toBe(false);
    expect((await stopProcesses([impostor]))[0]?.outcome).toBe('gone');
    expect(isAlive(p)).toBe(true);
  });

  it('reports a process that already ended as gone', async () => {
    const p = start('quick', 'exit 0');
    await sleep(300);
    expect(isAlive(p)).toBe(false);
    expect((await stopStack([p]))[0]?.outcome).toBe('gone');
  });

  it('stops apps before servers', async () => {
    // The "app" writes whether the "server" was still alive when the app got SIGTERM.
    const server = start('server', 'exec sleep 30');
    const mark = join(dir, 'mark');
    server.tier = 'infra';
    await sleep(100);
    const app = start('app', `trap 'kill -0 ${server.pid} && echo server-alive > ${mark}; exit 0' TERM; while true; do sleep 0.1; done`);
    await sleep(200);
    const results = await stopStack([server, app]);
    expect(results.map((r) => r.name)).toEqual(['app', 'server']);
    expect(readFileSync(mark, 'utf8').trim()).toBe('server-alive');
  });
});
