import { describe, expect, it } from 'vitest';
import { RestartBackoff } from './restart-backoff.js';

describe('RestartBackoff', () => {
  const settings = { baseMs: 100, maxMs: 30_000, windowMs: 60_000 };

  it('replaces an isolated crash after the base delay', () => {
    const backoff = new RestartBackoff(settings);
    expect(backoff.delayAfterExit(0)).toBe(100);
    // Long after: the earlier crash no longer counts.
    expect(backoff.delayAfterExit(60_000)).toBe(100);
  });

  it('doubles the delay with each recent exit, up to the cap, so a crash loop does not spin', () => {
    const backoff = new RestartBackoff(settings);
    const delays = Array.from({ length: 12 }, (_, i) => backoff.delayAfterExit(i * 1000));
    expect(delays.slice(0, 5)).toEqual([100, 200, 400, 800, 1600]);
    expect(delays.at(-1)).toBe(30_000);
    expect(delays.every((delay, i) => i === 0 || delay >= (delays[i - 1] ?? 0))).toBe(true);
  });

  it('falls back to the base delay once the loop has stopped for a window', () => {
    const backoff = new RestartBackoff(settings);
    for (let i = 0; i < 8; i++) backoff.delayAfterExit(i);
    expect(backoff.delayAfterExit(70_000)).toBe(100);
  });
});
