import fc from 'fast-check';
import { GraylaneError, type RegionsSpecV1, type RolloutRecordV1 } from '@graylane/contracts';
import { describe, expect, it } from 'vitest';
import { inRange, ipv4Of, parseCidr, parseIpInto } from './ip-address.js';
import { compileRollout } from './rollout.js';
import { facts, record, thrown } from './test-support.js';
import type { CompiledPool, PoolHealth } from './types.js';

const REGIONS: RegionsSpecV1 = {
  from: { header: 'X-Region', cidrs: { beijing: ['10.0.1.0/24', '2001:db8:1::/48'], shanghai: ['10.0.0.0/8'] } },
  pools: {
    beijing: { stable: ['http://bj-v1:80'], canary: ['http://bj-v2:80'] },
    shanghai: { stable: ['http://sh-v1:80'], canary: ['http://sh-v2:80'] },
    guangzhou: { stable: ['http://gz-v1:80'], fallback: ['beijing'] },
  },
  fallback: ['shanghai', 'guangzhou'],
};

const regional = (weight: number, state: RolloutRecordV1['state'] = 'progressing', regions: RegionsSpecV1 = REGIONS) =>
  compileRollout(record('checkout', { traffic: { weight }, regions }, state));

/** Health where the pools with the given keys are down. */
const down = (...keys: string[]): PoolHealth => ({ isHealthy: (pool: CompiledPool) => !keys.includes(pool.key) });

describe('region of a request', () => {
  it('comes from the trusted header when it names a known region, else from the CIDR ranges, most specific first', () => {
    const target = regional(0);
    expect(target.decide(facts({ headers: { 'x-region': 'guangzhou' }, ip: '10.0.1.5' }))).toMatchObject({ region: 'guangzhou', pool: { key: 'guangzhou/stable' } });
    expect(target.decide(facts({ headers: { 'x-region': 'mars' }, ip: '10.0.1.5' }))).toMatchObject({ region: 'beijing', pool: { key: 'beijing/stable' } });
    expect(target.decide(facts({ ip: '::ffff:10.0.1.5' })).region).toBe('beijing');
    expect(target.decide(facts({ ip: '10.9.9.9' })).region).toBe('shanghai');
    expect(target.decide(facts({ ip: '2001:db8:1:ffff::1' })).region).toBe('beijing');
    expect(target.decide(facts({ ip: '192.0.2.1' }))).toMatchObject({ region: '', pool: { key: 'stable', upstreams: ['http://127.0.0.1:9001'] } });
    expect(target.decide(facts({ ip: 'not-an-ip\u0000' })).region).toBe('');
    expect(target.regions).toEqual(['beijing', 'guangzhou', 'shanghai']);
  });
});

describe('region fallback', () => {
  it('takes the next healthy region of the fallback list, keeping the side', () => {
    const target = regional(100);
    const request = facts({ headers: { 'x-region': 'beijing', 'x-user-id': 'u1' } });
    expect(target.decide(request, down())).toMatchObject({ side: 'canary', reason: 'weight', pool: { key: 'beijing/canary' }, bindable: true });
    expect(target.decide(request, down('beijing/canary'))).toMatchObject({ side: 'canary', reason: 'region-fallback', pool: { key: 'shanghai/canary' }, bindable: false });
    // guangzhou has no canary pool, so after shanghai comes the rollout-wide canary
    expect(target.decide(request, down('beijing/canary', 'shanghai/canary'))).toMatchObject({ side: 'canary', pool: { key: 'canary' } });
  });

  it('uses a region\'s own fallback list before the rollout-wide one', () => {
    const target = regional(0);
    const request = facts({ headers: { 'x-region': 'guangzhou' } });
    expect(target.decide(request, down('guangzhou/stable'))).toMatchObject({ reason: 'region-fallback', pool: { key: 'beijing/stable' } });
  });

  it('never picks an unhealthy pool while a healthy one exists, and never leaves stable when the state forces it', () => {
    const keys = ['stable', 'canary', 'beijing/stable', 'beijing/canary', 'shanghai/stable', 'shanghai/canary', 'guangzhou/stable'];
    fc.assert(
      fc.property(
        fc.subarray(keys),
        fc.constantFrom('beijing', 'shanghai', 'guangzhou', 'nowhere'),
        fc.constantFrom<RolloutRecordV1['state']>('progressing', 'rolled_back'),
        fc.integer({ min: 0, max: 100 }),
        (unhealthy, region, state, weight) => {
          const health = down(...unhealthy);
          const decision = regional(weight, state).decide(facts({ headers: { 'x-region': region, 'x-user-id': 'u' } }), health);
          const anyHealthy = keys.filter((key) => !unhealthy.includes(key));
          const healthyOfSide = anyHealthy.filter((key) => key.endsWith(decision.side));
          if (state === 'rolled_back') {
            expect(decision.side).toBe('stable');
            if (healthyOfSide.length > 0) expect(health.isHealthy(decision.pool)).toBe(true);
          } else if (anyHealthy.length > 0) {
            expect(health.isHealthy(decision.pool)).toBe(true);
          }
        },
      ),
    );
  });
});

describe('compiling regions', () => {
  it.each([
    [{ ...REGIONS, from: { cidrs: { beijing: ['10.0.1.0/33'] } } }, '"10.0.1.0/33"', '/spec/regions/from/cidrs/beijing/0'],
    [{ ...REGIONS, from: { cidrs: { beijing: ['10.0.1.300/24'] } } }, '"10.0.1.300/24"', '/spec/regions/from/cidrs/beijing/0'],
    [{ ...REGIONS, from: { cidrs: { mars: ['10.0.0.0/8'] } } }, '"mars"', '/spec/regions/from/cidrs/mars'],
    [{ ...REGIONS, fallback: ['atlantis'] }, '"atlantis"', '/spec/regions/fallback/0'],
  ])('refuses a bad region spec naming the value (%#)', (regions, named, field) => {
    const error = thrown(() => regional(0, 'progressing', regions));
    expect(error).toBeInstanceOf(GraylaneError);
    expect((error as GraylaneError).code).toBe('GRAYLANE_VALIDATION');
    expect((error as GraylaneError).message).toContain(named);
    expect((error as GraylaneError).field).toBe(field);
  });
});

describe('ip addresses', () => {
  const words = new Uint32Array(4);
  it.each(['1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '', ':::', '1:2:3:4:5:6:7:8:9', 'g::1', 'x'.repeat(10_000)])('refuses %j', (text) => {
    expect(parseIpInto(text, words)).toBe(false);
  });

  it('reads an IPv4 address (plain or mapped) exactly when a dotted-quad pattern does, to the same number', () => {
    const text = fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9', '.', ':', 'f', ' '), maxLength: 18 });
    const mapped = fc.tuple(fc.constantFrom('', '::ffff:', '::fff:'), text).map(([prefix, rest]) => prefix + rest);
    const quad = fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((parts) => parts.join('.'));
    fc.assert(
      fc.property(fc.oneof(mapped, quad), (candidate) => {
        expect(ipv4Of(candidate)).toBe(dottedQuad(candidate));
      }),
      { numRuns: 5000 },
    );
  });

  it('matches ranges of both families', () => {
    const range = parseCidr('192.168.0.0/16')!;
    expect(parseIpInto('192.168.200.1', words) && inRange(words, range)).toBe(true);
    expect(parseIpInto('192.169.0.1', words) && inRange(words, range)).toBe(false);
    expect(parseIpInto('::ffff:192.168.1.1', words) && inRange(words, range)).toBe(true);
    const v6 = parseCidr('fe80::/10')!;
    expect(parseIpInto('fe80::1%eth0', words) && inRange(words, v6)).toBe(true);
    expect(parseIpInto('::1', words) && inRange(words, v6)).toBe(false);
    expect(parseIpInto('0.0.0.1', words) && inRange(words, parseCidr('0.0.0.0/0')!)).toBe(true);
  });
});

/** The unsigned IPv4 number of `a.b.c.d` or `::ffff:a.b.c.d` (one to three digits, each at most 255), else -1. */
function dottedQuad(text: string): number {
  const match = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (match === null) return -1;
  const parts = match.slice(1).map(Number);
  return parts.every((part) => part <= 255) ? parts.reduce((value, part) => value * 256 + part, 0) : -1;
}
