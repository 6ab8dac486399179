import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { BindingStore, bindingKey, NONE, type LookupKeys } from './binding-store.js';

/** Redis whose pipelined answers arrive only when the test says so: a lookup stays in flight meanwhile. */
class LateRedis {
  readonly values = new Map<string, string>();
  private readonly waiting: (() => void)[] = [];

  pipeline(): unknown {
    const reads: (() => [null, unknown])[] = [];
    const chain = {
      get: (key: string) => {
        // Redis answers with what it held when the command ran, not when the answer arrives.
        const value = this.values.get(key) ?? null;
        reads.push(() => [null, value]);
        return chain;
      },
      pexpire: () => {
        reads.push(() => [null, 1]);
        return chain;
      },
      sismember: (set: string) => {
        reads.push(() => [null, set === 'allowed' ? 1 : 0]);
        return chain;
      },
      exec: () => new Promise((resolve) => this.waiting.push(() => resolve(reads.map((read) => read())))),
    };
    return chain;
  }

  /** SET [NX]: Redis applies a write when it runs, before any answer still in flight is delivered. */
  set(key: string, value: string, ...options: string[]): Promise<string | null> {
    if (options.includes('NX') && this.values.has(key)) return Promise.resolve(null);
    this.values.set(key, value);
    return Promise.resolve('OK');
  }

  /** Delivers every answer still in flight. */
  answer(): void {
    for (const deliver of this.waiting.splice(0)) deliver();
  }
}

const store = (redis: LateRedis): BindingStore =>
  new BindingStore(redis as unknown as Redis, { deadlineMs: 1_000, cacheEntries: 100, cacheTtlMs: 60_000, now: () => 0 });
const lookupOf = (sessionId: string, userKey?: string): LookupKeys => ({
  rollout: 'checkout',
  sessionId,
  sessionTtlMs: 60_000,
  userKey,
  allowSet: userKey === undefined ? undefined : 'allowed',
  denySet: undefined,
});

describe('BindingStore lookups in flight when a binding changes', () => {
  it('cache what Redis answered when nothing changed meanwhile', async () => {
    const redis = new LateRedis();
    const bindings = store(redis);
    redis.values.set(bindingKey('checkout', 's1'), 'canary:v2');
    const lookup = bindings.lookUp(lookupOf('s1'));
    redis.answer();
    await lookup;
    expect(bindings.cachedBinding('checkout', 's1')).toBe('canary:v2');
  });

  it('do not bring back a binding that another proxy cleared with the whole rollout', async () => {
    const redis = new LateRedis();
    const bindings = store(redis);
    redis.values.set(bindingKey('checkout', 's1'), 'canary:v2');
    const lookup = bindings.lookUp(lookupOf('s1', 'user-1'));
    redis.values.clear();
    bindings.applyAnnounced('checkout', undefined, null, 0);
    redis.answer();
    await lookup;
    expect(bindings.cachedBinding('checkout', 's1')).toBeUndefined();
    // Membership in the user sets is not a binding: it is still cached.
    expect(bindings.cachedListing('checkout', 'user-1')).toBe('allow');
  });

  it('keep a binding another proxy moved, not the answer from before the move', async () => {
    const redis = new LateRedis();
    const bindings = store(redis);
    redis.values.set(bindingKey('checkout', 's1'), 'canary:v2');
    const lookup = bindings.lookUp(lookupOf('s1'));
    bindings.applyAnnounced('checkout', 's1', 'stable:v1', 60_000);
    redis.answer();
    await lookup;
    expect(bindings.cachedBinding('checkout', 's1')).toBe('stable:v1');
  });

  it('leave other rollouts alone', async () => {
    const redis = new LateRedis();
    const bindings = store(redis);
    const lookup = bindings.lookUp(lookupOf('s1'));
    bindings.applyAnnounced('basket', undefined, null, 0);
    redis.answer();
    await lookup;
    expect(bindings.cachedBinding('checkout', 's1')).toBe(NONE);
  });

  it('do not cache "unbound" over the binding this proxy wrote after missing the deadline', async () => {
    const redis = new LateRedis();
    const bindings = new BindingStore(redis as unknown as Redis, { deadlineMs: 1, cacheEntries: 100, cacheTtlMs: 60_000, now: () => 0 });
    // The lookup misses its deadline; the request is decided without it and bound with SET NX.
    await bindings.lookUp(lookupOf('s1'));
    bindings.bind('checkout', 's1', 'canary:v2', 60_000, false);
    // Redis's answer, from before the write, arrives late: it must not make the next request think the session is unbound.
    redis.answer();
    await new Promise((resolve) => setImmediate(resolve));
    expect(bindings.cachedBinding('checkout', 's1')).toBeUndefined();
    expect(redis.values.get(bindingKey('checkout', 's1'))).toBe('canary:v2');
  });
});
