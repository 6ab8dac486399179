import { describe, expect, it } from 'vitest';
import { sessionConfigFrom } from './session-config.js';

describe('sessionConfigFrom', () => {
  it('defaults to a local Redis, a 5 ms deadline, a bounded cache and no override secret', () => {
    expect(sessionConfigFrom({})).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      deadlineMs: 5,
      cacheEntries: 100_000,
      cacheTtlMs: 30_000,
      overrideSecret: undefined,
    });
  });

  it('names the variable of a bad value', () => {
    expect(() => sessionConfigFrom({ GRAYLANE_REDIS_URL: 'http://x' })).toThrow(/GRAYLANE_REDIS_URL/);
    expect(() => sessionConfigFrom({ GRAYLANE_OVERRIDE_SECRET: 'short' })).toThrow(/GRAYLANE_OVERRIDE_SECRET: expected at least 16 characters, got 5/);
    expect(() => sessionConfigFrom({ GRAYLANE_SESSION_CACHE_ENTRIES: '0' })).toThrow(/GRAYLANE_SESSION_CACHE_ENTRIES/);
  });
});
