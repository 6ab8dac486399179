import { GraylaneError, type RolloutRecordV1, type RoutingTableV1 } from '@graylane/contracts';
import { describe, expect, it } from 'vitest';
import { compileTable, EMPTY_TABLE } from './table.js';
import { record, thrown } from './test-support.js';

function table(...records: RolloutRecordV1[]): RoutingTableV1 {
  return { schema: 'graylane.routing-table/v1', rollouts: Object.fromEntries(records.map((r) => [r.name, r])) };
}

const at = (name: string, hosts: string[] | undefined, pathPrefix?: string): RolloutRecordV1 =>
  record(name, { match: { ...(hosts === undefined ? {} : { hosts }), ...(pathPrefix === undefined ? {} : { pathPrefix }) } });

describe('compileTable', () => {
  it('keeps the version and lists rollouts by name', () => {
    const compiled = compileTable(table(at('search', undefined, '/search'), at('checkout', undefined, '/checkout')), 42);
    expect(compiled.version).toBe(42);
    expect(compiled.rollouts.map((r) => r.name)).toEqual(['checkout', 'search']);
    expect(Object.isFrozen(compiled) && Object.isFrozen(compiled.rollouts)).toBe(true);
  });

  it('is empty at version 0 before any config', () => {
    expect(EMPTY_TABLE.version).toBe(0);
    expect(EMPTY_TABLE.rollouts).toEqual([]);
    expect(EMPTY_TABLE.match('shop.example.com', '/')).toBeUndefined();
    expect(compileTable(table(), 0).match('shop.example.com', '/')).toBeUndefined();
  });

  it('points errors at the rollout inside the table', () => {
    const bad = record('checkout', { rules: [{ when: { header: 'x', regex: '[' }, to: 'canary' }] });
    const error = thrown(() => compileTable(table(at('search', undefined, '/s'), bad), 3)) as GraylaneError;
    expect(error.code).toBe('GRAYLANE_VALIDATION');
    expect(error.message).toMatch(/^rollout "checkout": spec\.rules\[0\]\.when\.regex: invalid regular expression "\["/);
    expect(error.field).toBe('/rollouts/checkout/spec/rules/0/when/regex');
    const weight = thrown(() => compileTable(table(record('checkout', { traffic: { weight: 12.345 } })), 3)) as GraylaneError;
    expect(weight.field).toBe('/rollouts/checkout/spec/traffic/weight');
  });

  it('rejects a record stored under another name', () => {
    const stored: RoutingTableV1 = { schema: 'graylane.routing-table/v1', rollouts: { checkout: record('search') } };
    expect(() => compileTable(stored, 1)).toThrow(/rollout "checkout": name: the record is named "search"/);
  });

  it.each([
    ['the same host and prefix', at('a', ['shop.example.com'], '/checkout'), at('b', ['other.example.com', 'SHOP.example.com'], '/checkout'), /host shop\.example\.com with path prefix \/checkout/],
    ['no hosts and the same prefix', at('a', undefined, '/checkout'), at('b', [], '/checkout'), /any host \(no hosts listed\) with path prefix \/checkout/],
    ['no hosts and no prefix', at('a', undefined), at('b', undefined), /path prefix \/ is already claimed by rollout "a"/],
  ])('rejects two rollouts claiming %s as GRAYLANE_CONFLICT', (_label, first, second, message) => {
    const error = thrown(() => compileTable(table(first, second), 5)) as GraylaneError;
    expect(error).toBeInstanceOf(GraylaneError);
    expect(error.code).toBe('GRAYLANE_CONFLICT');
    expect(error.message).toMatch(/^rollout "b": spec\.match: /);
    expect(error.message).toMatch(message);
    expect(error.message).toContain('rollout "a"');
    expect(error.field).toBe('/rollouts/b/spec/match');
  });

  it('accepts the same prefix on different hosts, and a host beside a hostless rollout', () => {
    expect(() => compileTable(table(at('a', ['a.example.com'], '/x'), at('b', ['b.example.com'], '/x'), at('c', undefined, '/x')), 1)).not.toThrow();
  });
});

describe('match', () => {
  const compiled = compileTable(
    table(
      at('root', undefined),
      at('api', undefined, '/api'),
      at('api-v2', undefined, '/api/v2/'),
      at('shop-checkout', ['shop.example.com', 'Www.Shop.Example.Com'], '/checkout'),
      at('shop-api', ['shop.example.com'], '/api'),
      at('admin', ['admin.example.com'], '/admin'),
    ),
    9,
  );
  const matched = (host: string, path: string): string | undefined => compiled.match(host, path)?.name;

  it('picks the longest path prefix', () => {
    expect(matched('any.example.com', '/')).toBe('root');
    expect(matched('any.example.com', '/api')).toBe('api');
    expect(matched('any.example.com', '/api/v1/users')).toBe('api');
    expect(matched('any.example.com', '/api/v2/users')).toBe('api-v2');
    expect(matched('any.example.com', '/api/v2')).toBe('api');
    expect(matched('any.example.com', '/apix')).toBe('api');
  });

  it('matches listed hosts exactly, case-insensitively as written in the spec', () => {
    expect(matched('shop.example.com', '/checkout/pay')).toBe('shop-checkout');
    expect(matched('www.shop.example.com', '/checkout')).toBe('shop-checkout');
    expect(matched('evil-shop.example.com', '/checkout')).toBe('root');
    expect(matched('shop.example.com.evil', '/checkout')).toBe('root');
  });

  it('prefers the rollout naming the host on equal prefixes, and the longer prefix otherwise', () => {
    expect(matched('shop.example.com', '/api/orders')).toBe('shop-api');
    expect(matched('shop.example.com', '/api/v2/orders')).toBe('api-v2');
    expect(matched('shop.example.com', '/other')).toBe('root');
  });

  it('is undefined when nothing matches', () => {
    const hostOnly = compileTable(table(at('admin', ['admin.example.com'], '/admin')), 2);
    expect(hostOnly.match('admin.example.com', '/')).toBeUndefined();
    expect(hostOnly.match('shop.example.com', '/admin')).toBeUndefined();
    expect(hostOnly.match('admin.example.com', '/admin/users')?.name).toBe('admin');
  });
});
