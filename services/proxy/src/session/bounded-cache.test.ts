import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedCache, MAX_PROBES } from './bounded-cache.js';

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
    expect(cache.counters).toEqual({ hits: 1, misses: 2, evictions: 0, expirations: 2, refused: 0 });
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

  it('answers a key read in place from a longer text exactly as the key itself', () => {
    const cache = new BoundedCache<string>(10, 1000, 7);
    cache.set('abc123', 'canary:v2', 0);
    const header = 'theme=dark; SID=abc123; lang=en';
    expect(cache.getIn(header, 16, 22, 1)).toBe('canary:v2');
    expect(cache.getIn(header, 16, 21, 1)).toBeUndefined(); // a prefix of the key is another key
    expect(cache.getIn(header, 15, 22, 1)).toBeUndefined();
    expect(cache.getIn('abc1234', 0, 6, 1)).toBe('canary:v2');
  });

  it('behaves like a Map-based LRU under random keys, slices, growth and deletion, whatever the seed', () => {
    // The model is the cache as it was before the hash index: a Map in use order (oldest first).
    const key = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '1', '=', ';', 'é', '\u0000'), maxLength: 6 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key, dt: fc.integer({ min: 0, max: 20 }), pad: fc.constant('') }),
      fc.record({ kind: fc.constant('get' as const), key, dt: fc.integer({ min: 0, max: 20 }), pad: fc.string({ maxLength: 3 }) }),
      fc.record({ kind: fc.constant('delete' as const), key, dt: fc.constant(0), pad: fc.constant('') }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 150 }), fc.integer(), fc.array(op, { maxLength: 400 }), (limit, seed, ops) => {
        const cache = new BoundedCache<number>(limit, 50, seed);
        const model = new Map<string, { value: number; expiresAt: number }>();
        let now = 0;
        ops.forEach(({ kind, key: k, dt, pad }, step) => {
          now += dt;
          if (kind === 'set') {
            if (model.has(k)) model.delete(k);
            else if (model.size >= limit) model.delete(model.keys().next().value as string);
            model.set(k, { value: step, expiresAt: now + 50 });
            cache.set(k, step, now);
          } else if (kind === 'delete') {
            model.delete(k);
            cache.delete(k);
          } else {
            const entry = model.get(k);
            let expected: number | undefined;
            if (entry !== undefined) {
              model.delete(k);
              if (now < entry.expiresAt) {
                model.set(k, entry);
                expected = entry.value;
              }
            }
            // Read through a longer text half of the time, as the proxy reads a session id in its Cookie header.
            const found = pad === '' ? cache.get(k, now) : cache.getIn(`${pad}${k}${pad}`, pad.length, pad.length + k.length, now);
            expect(found).toBe(expected);
          }
          expect(cache.size).toBe(model.size);
        });
        expect(cache.counters.refused).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses keys crafted to collide instead of walking ever longer probe runs', () => {
    // Keys whose hashes share one home cell in a 64-entry cache (256 index cells), found by trial:
    // what an attacker who knew the seed could send.
    const probe = new BoundedCache<number>(64, 1000, 99);
    const home = (text: string): number => {
      probe.clear();
      probe.set(text, 0, 0);
      return (probe as unknown as { index: Int32Array }).index.findIndex((entry) => entry !== 0);
    };
    const colliding: string[] = [];
    for (let i = 0; colliding.length < MAX_PROBES + 8; i++) if (home(`k${i}`) === 5) colliding.push(`k${i}`);
    const cache = new BoundedCache<number>(64, 1000, 99);
    colliding.forEach((text, i) => cache.set(text, i, 0));
    expect(cache.counters.refused).toBeGreaterThan(0);
    expect(cache.size + cache.counters.refused).toBe(colliding.length);
    // What was stored is still found; what was refused is a plain miss.
    colliding.forEach((text, i) => expect([i, undefined]).toContain(cache.get(text, 1)));
    expect(cache.get(colliding[0]!, 1)).toBe(0);
  });

  it('refuses no honest key when full at a power-of-two size', () => {
    // At 2^16 entries the slots fill the index exactly as far as its growth allows, the worst case
    // for probe runs; random session ids must all be stored there, never taken for an attack.
    const cache = new BoundedCache<number>(65_536, 1000, 12_345);
    let state = 0x9e3779b9;
    const nextHex = (): string => {
      let text = '';
      for (let word = 0; word < 4; word++) {
        state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
        text += state.toString(16).padStart(8, '0');
      }
      return text;
    };
    for (let i = 0; i < 200_000; i++) cache.set(nextHex(), i, 0);
    expect(cache.size).toBe(65_536);
    expect(cache.counters.refused).toBe(0);
  });
});
