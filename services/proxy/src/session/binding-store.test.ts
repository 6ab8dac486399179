import { describe, expect, it } from 'vitest';
import { LateRedis } from '../test-support/late-redis.js';
import { BindingStore, bindingKey, NONE, type LookupKeys } from './binding-store.js';

const store = (redis: LateRedis): BindingStore =>
  new BindingStore(redis.client, { deadlineMs: 1_000, cacheEntries: 100, cacheTtlMs: 60_000, now: () => 0 });
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
    expect(await lookup).toEqual({ binding: 'canary:v2', listing: undefined });
    expect(bindings.cachedBinding('checkout', 's1')).toBe('canary:v2');
  });

  it('answer the request that asked with the binding Redis held, when a change of another session keeps it out of the cache', async () => {
    const redis = new LateRedis();
    const bindings = store(redis);
    redis.values.set(bindingKey('checkout', 's2'), 'canary:v2');
    const lookup = bindings.lookUp(lookupOf('s2', 'user-2'));
    // Meanwhile a request of another session missed its deadline and bound it with SET NX.
    bindings.bind('checkout', 's1', 'stable:v1', 60_000, false);
    redis.answer();
    expect(await lookup).toEqual({ binding: 'canary:v2', listing: 'allow' });
    expect(bindings.cachedBinding('checkout', 's2')).toBeUndefined();
  });

  it('answer "unbound" as unknown when a change meanwhile may have bound the session', async () => {
    const redis = new LateRedis();
    const bindings = store(redis);
    const lookup = bindings.lookUp(lookupOf('s1'));
    // A concurrent request of the same session missed its deadline and bound it with SET NX.
    bindings.bind('checkout', 's1', 'canary:v2', 60_000, false);
    redis.answer();
    expect(await lookup).toEqual({ binding: undefined, listing: undefined });
    expect(bindings.cachedBinding('checkout', 's1')).toBeUndefined();
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
    const bindings = new BindingStore(redis.client, { deadlineMs: 1, cacheEntries: 100, cacheTtlMs: 60_000, now: () => 0 });
    // The lookup misses its deadline; the request is decided without it and bound with SET NX.
    expect(await bindings.lookUp(lookupOf('s1'))).toEqual({ binding: undefined, listing: undefined });
    bindings.bind('checkout', 's1', 'canary:v2', 60_000, false);
    // Redis's answer, from before the write, arrives late: it must not make the next request think the session is unbound.
    redis.answer();
    await new Promise((resolve) => setImmediate(resolve));
    expect(bindings.cachedBinding('checkout', 's1')).toBeUndefined();
    expect(redis.values.get(bindingKey('checkout', 's1'))).toBe('canary:v2');
  });
});
