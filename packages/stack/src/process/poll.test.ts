import { describe, expect, it } from 'vitest';
import { pollUntilReady } from './poll.js';

describe('pollUntilReady', () => {
  it('looks again until ready', async () => {
    let looks = 0;
    const outcome = await pollUntilReady({ ready: async () => ++looks === 3, timeoutMs: 1_000, pollMs: 1 });
    expect(outcome).toBe('ready');
    expect(looks).toBe(3);
  });

  it('ends at once with the reason failed() gives, without another look', async () => {
    let looks = 0;
    const outcome = await pollUntilReady({
      ready: async () => {
        looks += 1;
        return false;
      },
      failed: async () => (looks >= 2 ? 'exited (code 1)' : undefined),
      timeoutMs: 5_000,
      pollMs: 1,
    });
    expect(outcome).toEqual({ failure: 'exited (code 1)' });
    expect(looks).toBe(2);
  });

  it('gives up after the timeout, having looked once more at the deadline', async () => {
    const began = Date.now();
    let looks = 0;
    const outcome = await pollUntilReady({
      ready: async () => {
        looks += 1;
        return false;
      },
      timeoutMs: 100,
      pollMs: 20,
    });
    expect(outcome).toBe('timeout');
    expect(Date.now() - began).toBeGreaterThanOrEqual(100);
    expect(looks).toBeGreaterThanOrEqual(2);
  });
});
