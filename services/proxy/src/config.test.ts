import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('GRAYLANE_PROXY_WORKERS', () => {
  it('defaults to one worker per core this process may use', () => {
    expect(loadConfig({}).workers).toBe(availableParallelism());
    expect(loadConfig({ GRAYLANE_PROXY_WORKERS: '' }).workers).toBe(availableParallelism());
  });

  it('takes a count from 1 (one process, no primary) to 256', () => {
    expect(loadConfig({ GRAYLANE_PROXY_WORKERS: '1' }).workers).toBe(1);
    expect(loadConfig({ GRAYLANE_PROXY_WORKERS: '256' }).workers).toBe(256);
  });

  it('rejects anything else with a message naming the variable', () => {
    for (const bad of ['0', '-2', '1.5', 'two', 'auto']) {
      expect(() => loadConfig({ GRAYLANE_PROXY_WORKERS: bad })).toThrow(`GRAYLANE_PROXY_WORKERS: expected a positive integer, got "${bad}"`);
    }
    expect(() => loadConfig({ GRAYLANE_PROXY_WORKERS: '257' })).toThrow('GRAYLANE_PROXY_WORKERS: expected at most 256, got "257"');
  });
});
