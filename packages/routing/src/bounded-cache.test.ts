import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache.js';

describe('BoundedCache', () => {
  it('never holds more than its entry limit, evicting the least recently used', () => {
    const cache = new BoundedCache<number>(3, 1000);
    cache.set('a', 1, 0);
    cache.set('b', 2, 0);
    cache.set('c', 3, 0);
    expect(cache.get('a', 1)).toBe(1); // a is now the most recent; b is the oldest
    cache.set('d', 4, 1);
    expect(cache.size).toBe(3);
    expect(cache.get('b', 1)).toBeUndefined();
    expect([cache.get('a', 1), cache.get('c', 1), cache.get('d', 1)]).toEqual([1, 3, 4]);
    for (let i = 0; i < 100_000; i++) cache.set(`user-${i}`, i, 2);
    expect(cache.size).toBe(3);
    expect(cache.counters.evictions).toBe(100_001);
  });

  it('forgets an entry at its TTL, or earlier when asked, and a hit does not extend it', () => {
    const cache = new BoundedCache<string>(10, 100);
    cache.set('s', 'canary:v2', 0);
    cache.set('short', 'stable:v1', 0, 10);
    expect(cache.get('s', 99)).toBe('canary:v2');
    expect(cache.get('short', 10)).toBeUndefined();
    expect(cache.get('s', 100)).toBeUndefined();
    expect(cache.counters).toEqual({ hits: 1, misses: 2, evictions: 0, expirations: 2 });
    expect(cache.size).toBe(0);
  });

  it('keeps every entry and the use order while its slots grow up to the limit', () => {
    const cache = new BoundedCache<number>(1000, 1000);
    for (let i = 0; i < 1000; i++) cache.set(`k${i}`, i, 0);
    expect(cache.get('k0', 1)).toBe(0); // k1 is now the least recently used
    cache.set('k1000', 1000, 1);
    expect(cache.get('k1', 1)).toBeUndefined();
    for (let i = 2; i <= 1000; i++) expect(cache.get(`k${i}`, 1)).toBe(i);
    expect(cache.size).toBe(1000);
    cache.clear();
    expect(cache.get('k2', 1)).toBeUndefined();
    for (let i = 0; i < 1001; i++) cache.set(`again${i}`, i, 2);
    expect([cache.size, cache.get('again0', 2), cache.get('again1000', 2)]).toEqual([1000, undefined, 1000]);
  });

  it('refuses limits that would make it unbounded', () => {
    expect(() => new BoundedCache(0, 10)).toThrow(/maxEntries 0/);
    expect(() => new BoundedCache(10, Number.NaN)).toThrow(/ttlMs NaN/);
  });

  it('behaves like a plain LRU list under any sequence of operations', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 9 }), dt: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 9 }), dt: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 9 }), dt: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 200 }), (limit, ops) => {
        const cache = new BoundedCache<number>(limit, 100);
        // the model: [key, value, expiresAt], least recently used first
        const model: [string, number, number][] = [];
        let now = 0;
        ops.forEach(({ kind, key, dt }, step) => {
          now += dt;
          const name = `k${key}`;
          const at = model.findIndex(([k]) => k === name);
          if (kind === 'set') {
            if (at >= 0) model.splice(at, 1);
            else if (model.length >= limit) model.shift();
            model.push([name, step, now + 100]);
            cache.set(name, step, now);
          } else if (kind === 'delete') {
            if (at >= 0) model.splice(at, 1);
            cache.delete(name);
          } else {
            const entry = at >= 0 ? model[at] : undefined;
            let expected: number | undefined;
            if (entry !== undefined) {
              model.splice(at, 1);
              if (now < entry[2]) {
                model.push(entry);
                expected = entry[1];
              }
            }
            expect(cache.get(name, now)).toBe(expected);
          }
          expect(cache.size).toBe(model.length);
        });
      }),
    );
  });
});
