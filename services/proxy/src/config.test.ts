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

describe('shutdown and multi-node settings', () => {
  it('honour GRAYLANE_DRAIN_GRACE_MS above 10 s and read GRAYLANE_JETSTREAM_REPLICAS', () => {
    expect(loadConfig({}).forwarding.drainGraceMs).toBe(10_000);
    expect(loadConfig({ GRAYLANE_DRAIN_GRACE_MS: '15000' }).forwarding.drainGraceMs).toBe(15_000);
    expect(loadConfig({}).jetstreamReplicas).toBe(1);
    expect(loadConfig({ GRAYLANE_JETSTREAM_REPLICAS: '3' }).jetstreamReplicas).toBe(3);
    expect(() => loadConfig({ GRAYLANE_JETSTREAM_REPLICAS: 'three' })).toThrow('GRAYLANE_JETSTREAM_REPLICAS: expected a whole number from 1 to 5, got "three"');
  });
});

describe('client limits', () => {
  it('read the minimum body rate, 500 bytes/s unless set, and refuse a rate that is not a positive integer', () => {
    expect(loadConfig({}).clientLimits.bodyMinBytesPerSecond).toBe(500);
    expect(loadConfig({ GRAYLANE_CLIENT_BODY_MIN_RATE: '64' }).clientLimits.bodyMinBytesPerSecond).toBe(64);
    for (const bad of ['0', '-1', '0.5', 'fast']) {
      expect(() => loadConfig({ GRAYLANE_CLIENT_BODY_MIN_RATE: bad })).toThrow(`GRAYLANE_CLIENT_BODY_MIN_RATE: expected a positive integer, got "${bad}"`);
    }
  });
});
