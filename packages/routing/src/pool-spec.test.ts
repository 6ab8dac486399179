import { GraylaneError } from '@graylane/contracts';
import { describe, expect, it } from 'vitest';
import { compileRollout } from './rollout.js';
import { compileTable } from './table.js';
import { record, thrown } from './test-support.js';

const upstreamsOf = (stable: string[]) => record('checkout', { stable: { name: 'v1', upstreams: stable } });

describe('upstream URLs', () => {
  it.each([
    ['http://127.0.0.1:99999', /not a URL/],
    ['http://a%zz', /not a URL/],
    ['http://[::1', /not a URL/],
    ['http://127.0.0.1:0', /port 0/],
    ['ftp://10.0.0.1:21', /scheme ftp/],
    ['http://user:secret@10.0.0.1:8080', /credentials/],
  ])('refuses %s, naming the rollout and the field', (url, detail) => {
    const error = thrown(() => compileRollout(upstreamsOf(['http://10.0.0.1:8080', url]))) as GraylaneError;
    expect(error).toBeInstanceOf(GraylaneError);
    expect(error.code).toBe('GRAYLANE_VALIDATION');
    expect(error.field).toBe('/spec/stable/upstreams/1');
    expect(error.message).toMatch(/rollout "checkout": spec\.stable\.upstreams\[1\]: invalid upstream/);
    expect(error.message).toMatch(detail);
  });

  it('refuses a bad upstream in a region pool, and the table as a whole', () => {
    const bad = record('checkout', {
      regions: { from: { header: 'x-region' }, pools: { east: { stable: ['http://10.0.3.1:8080'], canary: ['http://[::1'] } } },
    });
    const error = thrown(() => compileTable({ schema: 'graylane.routing-table/v1', rollouts: { checkout: bad } }, 3)) as GraylaneError;
    expect(error.field).toBe('/rollouts/checkout/spec/regions/pools/east/canary/0');
  });

  it('accepts http and https with a host, a port, a path or IPv6', () => {
    for (const url of ['http://10.0.0.1:8080', 'https://api.internal', 'http://[::1]:8080', 'http://backend:80/', 'https://b.example:8443/base']) {
      expect(() => compileRollout(upstreamsOf([url])), url).not.toThrow();
    }
  });
});

describe('pool names', () => {
  it.each(['v1-🚀', 'v1\r\nx-injected: 1', 'v1 beta', '-v1', 'a'.repeat(65), 'v1:2'])('refuses %j', (name) => {
    const error = thrown(() => compileRollout(record('checkout', { canary: { name, upstreams: ['http://10.0.0.2:80'] } }))) as GraylaneError;
    expect(error.code).toBe('GRAYLANE_VALIDATION');
    expect(error.field).toBe('/spec/canary/name');
    expect(error.message).toMatch(/invalid pool name/);
  });

  it('accepts header-safe tokens', () => {
    for (const name of ['v1', 'V2.3.1', 'release_2026-12', 'a'.repeat(64)]) {
      expect(() => compileRollout(record('checkout', { canary: { name, upstreams: ['http://10.0.0.2:80'] } })), name).not.toThrow();
    }
  });
});
