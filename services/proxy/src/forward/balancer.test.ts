import { describe, expect, it } from 'vitest';
import { Balancer } from './balancer.js';
import type { Upstream } from './upstream-pool.js';

function endpoint(n: number): Upstream {
  return { origin: `http://10.0.0.${n}:80`, hostname: `10.0.0.${n}`, port: 80, host: `10.0.0.${n}`, secure: false, outstanding: 0 };
}

describe('Balancer', () => {
  const pool = [endpoint(1), endpoint(2), endpoint(3)];

  it('round robin visits every healthy endpoint in turn and skips unhealthy ones', () => {
    const b = new Balancer(pool, 'round-robin', (origin) => origin !== pool[1]?.origin);
    expect([b.pick(), b.pick(), b.pick(), b.pick()].map((u) => u.hostname)).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.1', '10.0.0.3']);
  });

  it('never ejects the whole pool: with every endpoint unhealthy it still picks one', () => {
    const b = new Balancer(pool, 'round-robin', () => false);
    expect(new Set([b.pick(), b.pick(), b.pick()].map((u) => u.hostname)).size).toBe(3);
  });

  it('least-outstanding (two choices) prefers the less busy endpoint', () => {
    const busy = [endpoint(1), endpoint(2)];
    busy[0]!.outstanding = 50;
    let flip = 0;
    const b = new Balancer(busy, 'least-outstanding', () => true, () => (flip++ % 2 === 0 ? 0 : 0.9));
    for (let i = 0; i < 10; i++) expect(b.pick().hostname).toBe('10.0.0.2');
  });

  it('avoids the endpoint a retry just failed on', () => {
    const b = new Balancer(pool, 'round-robin', () => true);
    for (let i = 0; i < 6; i++) expect(b.pick(pool[0])).not.toBe(pool[0]);
  });
});
