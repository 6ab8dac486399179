import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { compileRollout, cookieValue, type PoolHealth, type RequestFacts } from '@graylane/routing';
import { BindingStore, NONE } from '../session/binding-store.js';
import { signOverride } from './override-signature.js';
import { PendingDecision, RequestDecider } from './request-decider.js';
import { NodeRequestFacts } from './request-facts.js';
import { LateRedis } from '../test-support/late-redis.js';
import { TrustedProxies } from '../forward/trusted-proxies.js';

const SECRET = 'tester-secret-0123456789';
const NOW = 1_700_000_000_000;

const rolloutSpec = {
  match: {},
  stable: { name: 'v1', upstreams: ['http://127.0.0.1:9001'] },
  canary: { name: 'v2', upstreams: ['http://127.0.0.1:9002'] },
  traffic: { weight: 0, stickyKey: ['header:x-user-id'] },
  session: { cookie: 'SID', ttl: '30m' },
};
const rollout = compileRollout({
  name: 'checkout',
  state: 'progressing',
  updatedAt: '2025-01-01T00:00:00.000Z',
  updatedBy: 'test',
  spec: rolloutSpec,
});

function facts(headers: Record<string, string>): RequestFacts {
  return {
    host: 'shop.example.com',
    path: '/',
    clientIp: '192.0.2.1',
    header: (name) => headers[name],
    cookie: (name) => cookieValue(headers.cookie, name),
    query: () => undefined,
  };
}

describe('RequestDecider without Redis', () => {
  it('honours an override header only when signed with the configured secret', async () => {
    const signed = signOverride(SECRET, 'checkout', 'canary', NOW / 1000 + 60);
    const withSecret = new RequestDecider({ overrideSecret: SECRET, now: () => NOW });
    expect(withSecret.decide(rollout, facts({ 'x-graylane-override': signed }))).toMatchObject({ side: 'canary', reason: 'override' });
    expect(withSecret.decide(rollout, facts({ 'x-graylane-override': 'canary' }))).toMatchObject({ side: 'stable', reason: 'no-key' });
    const withoutSecret = new RequestDecider({ now: () => NOW });
    expect(withoutSecret.decide(rollout, facts({ 'x-graylane-override': signed }))).toMatchObject({ side: 'stable' });
    expect((await withSecret.explain(rollout, facts({ 'x-graylane-override': signed }))).override).toBe('valid');
    expect((await withSecret.explain(rollout, facts({ 'x-graylane-override': 'canary' }))).override).toBe('invalid');
  });

  it('decides at once without a binding store, counting requests without a sticky key', () => {
    const decider = new RequestDecider();
    expect(decider.decide(rollout, facts({ cookie: 'SID=abc' }))).toMatchObject({ side: 'stable', reason: 'no-key' });
    expect(decider.reasons['no-key']).toBe(1);
  });

  it('passes pool health to decide()', () => {
    const stableDown: PoolHealth = { isHealthy: (pool) => pool.side !== 'stable' };
    const decider = new RequestDecider({ health: stableDown });
    expect(decider.decide(rollout, facts({ 'x-user-id': 'u' }))).toMatchObject({ side: 'canary', reason: 'region-fallback' });
  });
});

describe('RequestDecider, one way through', () => {
  /** A Redis that answers every pipelined read at once: the binding of session `abc` is canary. */
  const answeringRedis = (binding: string): Redis =>
    ({
      set: () => Promise.resolve('OK'),
      pipeline: () => {
        const answers: [null, unknown][] = [];
        const chain = {
          get: () => (answers.push([null, binding]), chain),
          pexpire: () => (answers.push([null, 1]), chain),
          sismember: () => (answers.push([null, 0]), chain),
          exec: () => Promise.resolve(answers),
        };
        return chain;
      },
    }) as unknown as Redis;

  it('names the lookups a cache miss needs, then decides once from what they found', async () => {
    const bindings = new BindingStore(answeringRedis(rollout.bindingValue('canary')), { deadlineMs: 1_000, cacheEntries: 10, cacheTtlMs: 60_000, now: () => NOW });
    const decider = new RequestDecider({ bindings });
    const request = Object.freeze(facts({ cookie: 'SID=abc', 'x-user-id': 'u' }));
    const pending = decider.decide(rollout, request);
    expect(pending).toBeInstanceOf(PendingDecision);
    expect((pending as PendingDecision).keys).toMatchObject({ rollout: 'checkout', sessionId: 'abc', userKey: undefined });
    // Nothing was decided or counted yet.
    expect(Object.values(decider.reasons).reduce((a, b) => a + b)).toBe(0);
    await decider.lookUp(pending as PendingDecision);
    expect(decider.decidePending(pending as PendingDecision)).toMatchObject({ side: 'canary', reason: 'session' });
    // The request's facts were only read (frozen: a write would throw), and the next request hits the cache.
    expect(decider.decide(rollout, request)).toMatchObject({ side: 'canary', reason: 'session' });
    expect(decider.reasons.session).toBe(2);
  });

  it('decides a request by the binding Redis answered in time, though another request\'s late lookup changed the rollout meanwhile', async () => {
    const redis = new LateRedis();
    redis.values.set('graylane:session:checkout:bound', rollout.bindingValue('canary'));
    const bindings = new BindingStore(redis.client, { deadlineMs: 20, cacheEntries: 10, cacheTtlMs: 60_000, now: () => NOW });
    const decider = new RequestDecider({ bindings });
    // A new session's lookup misses its deadline (Redis is slow)...
    const late = decider.decide(rollout, facts({ cookie: 'SID=new', 'x-user-id': 'u1' })) as PendingDecision;
    const lateAnswer = await decider.lookUp(late);
    // ...while a bound session's lookup is sent; the first request is then decided by weight and bound with SET NX.
    const bound = decider.decide(rollout, facts({ cookie: 'SID=bound', 'x-user-id': 'u2' })) as PendingDecision;
    const boundLookup = decider.lookUp(bound);
    expect(decider.decidePending(late, lateAnswer)).toMatchObject({ side: 'stable', reason: 'weight' });
    // Redis answers the bound session in time: its request goes where its binding says.
    redis.answer();
    expect(decider.decidePending(bound, await boundLookup)).toMatchObject({ side: 'canary', reason: 'session' });
    expect(redis.values.get('graylane:session:checkout:bound')).toBe(rollout.bindingValue('canary'));
  });

  it('explains without writing a binding or counting a decision', async () => {
    let writes = 0;
    const redis = answeringRedis('');
    (redis as unknown as { set: () => Promise<string> }).set = () => (writes++, Promise.resolve('OK'));
    const decider = new RequestDecider({ bindings: new BindingStore(redis, { deadlineMs: 1_000, cacheEntries: 10, cacheTtlMs: 60_000, now: () => NOW }) });
    const explained = await decider.explain(rollout, facts({ cookie: 'SID=abc', 'x-user-id': 'u' }));
    expect(explained).toMatchObject({ sessionId: 'abc', binding: NONE, override: 'absent', decision: { reason: 'weight', bindable: true } });
    expect(writes).toBe(0);
    expect(decider.reasons.weight).toBe(0);
  });
});

describe('RequestDecider reading the session id in place', () => {
  /** A Redis that takes writes and answers nothing: the tests fill the local cache through move(). */
  const quietRedis = {
    set: () => Promise.resolve('OK'),
    pipeline: () => {
      throw new Error('the cache should have answered');
    },
  } as unknown as Redis;

  /** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
  }

  it('decides exactly as when the id is cut out first, over random Cookie headers', async () => {
    const next = random(20_251_126);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const units = ['a', 'b', '1', '=', ';', ' ', '"', '\t', 'S', 'I', 'D', 'é'];
    const junk = (max: number): string => Array.from({ length: Math.floor(next() * max) }, () => pick(units)).join('');
    const ids = ['abc', 'a', '"q"', 'x'.repeat(256), 'x'.repeat(257), 'é1', 's1x2654435761'];
    const inPlace = new BindingStore(quietRedis, { deadlineMs: 5, cacheEntries: 4, cacheTtlMs: 60_000, now: () => NOW });
    const cutFirst = new BindingStore(quietRedis, { deadlineMs: 5, cacheEntries: 4, cacheTtlMs: 60_000, now: () => NOW });
    const bound = compileRollout({
      name: 'checkout',
      state: 'progressing',
      updatedAt: '2025-01-01T00:00:00.000Z',
      updatedBy: 'test',
      spec: { ...rolloutSpec, traffic: { weight: 50, stickyKey: ['header:x-user-id'] }, session: { cookie: 'SID', ttl: '30m' } },
    });
    for (let round = 0; round < 3000; round++) {
      if (next() < 0.3) {
        // Bind or forget an id in both caches alike (4 entries: old ones are evicted as in the proxy).
        const id = next() < 0.7 ? pick(ids) : junk(6);
        const value = pick([bound.bindingValue('canary'), bound.bindingValue('stable'), NONE, 'canary:v1']);
        await Promise.all([inPlace.move('checkout', id, value, 60_000), cutFirst.move('checkout', id, value, 60_000)]);
      }
      const id = next() < 0.8 ? pick(ids) : junk(8);
      const header = pick([`SID=${id}`, `${junk(10)}; SID=${id}; ${junk(10)}`, ` SID = ${id} `, junk(20), `SID="${id}"`, `xSID=${id}`]);
      const user: Record<string, string> = next() < 0.5 ? { 'x-user-id': junk(5) || 'u' } : {};
      const live = new NodeRequestFacts({ url: '/', headers: { host: 'shop.example.com', cookie: header, ...user }, socket: { remoteAddress: '192.0.2.1' } } as never);
      const described = facts({ cookie: header, ...user });
      expect(described.rawCookieHeader).toBeUndefined();
      const deciderA = new RequestDecider({ bindings: inPlace });
      const deciderB = new RequestDecider({ bindings: cutFirst });
      const a = deciderA.decide(bound, live);
      const b = deciderB.decide(bound, described);
      if (a instanceof PendingDecision && b instanceof PendingDecision) {
        expect([a.keys, a.sessionId, a.binding]).toEqual([b.keys, b.sessionId, b.binding]);
        // Decided as after a Redis that missed its deadline: the binding counts as unknown.
        if (next() < 0.5) expect(deciderA.decidePending(a)).toEqual(deciderB.decidePending(b));
      } else {
        expect(a).toEqual(b);
      }
      expect(inPlace.stats).toEqual(cutFirst.stats);
    }
    expect(inPlace.stats.cacheHits).toBeGreaterThan(100);
    expect(inPlace.stats.oversizedIds).toBeGreaterThan(10);
  });
});

describe('RequestDecider behind trusted proxies', () => {
  const regional = compileRollout({
    name: 'regional',
    state: 'progressing',
    updatedAt: '2025-01-01T00:00:00.000Z',
    updatedBy: 'test',
    spec: {
      ...rolloutSpec,
      traffic: { weight: 0, stickyKey: ['ip'] },
      regions: {
        from: { cidrs: { beijing: ['198.51.100.0/24'] } },
        pools: { beijing: { stable: ['http://127.0.0.1:9101'] } },
      },
    },
  });
  const loadBalancer = new TrustedProxies(['10.0.0.0/8']);
  const live = (peer: string, forwardedFor?: string, trusted: TrustedProxies | null = loadBalancer): NodeRequestFacts =>
    new NodeRequestFacts(
      {
        url: '/',
        headers: forwardedFor === undefined ? { host: 'shop.example.com' } : { host: 'shop.example.com', 'x-forwarded-for': forwardedFor },
        socket: { remoteAddress: peer },
      } as never,
      trusted ?? undefined,
    );

  it('finds the region of the client behind a trusted proxy, and ignores a spoofed X-Forwarded-For from anyone else', () => {
    const decider = new RequestDecider();
    expect(decider.decide(regional, live('10.0.0.5', '198.51.100.7'))).toMatchObject({ region: 'beijing', pool: { key: 'beijing/stable' } });
    // A forged entry left of what the trusted proxy saw does not count.
    expect(decider.decide(regional, live('10.0.0.5', '198.51.100.7, 203.0.113.1'))).toMatchObject({ region: '' });
    // The same header straight from a client is ignored.
    expect(decider.decide(regional, live('203.0.113.1', '198.51.100.7'))).toMatchObject({ region: '', pool: { key: 'stable' } });
    // Without trusted proxies configured (none, or an empty list), the peer is the client.
    expect(decider.decide(regional, live('10.0.0.5', '198.51.100.7', null))).toMatchObject({ region: '' });
    expect(decider.decide(regional, live('10.0.0.5', '198.51.100.7', new TrustedProxies([])))).toMatchObject({ region: '' });
  });

  it('hashes the IP sticky key of the real client, so users behind one load balancer are spread', () => {
    // Read before any decision: the facts know the client address from the start.
    expect(regional.stickyKeyOf(live('10.0.0.5', '198.51.100.7'))).toBe('198.51.100.7');
  });
});
