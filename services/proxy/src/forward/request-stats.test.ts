import { describe, expect, it } from 'vitest';
import { RequestStats } from './request-stats.js';

describe('RequestStats', () => {
  it('counts by status class or failure kind and fills the latency buckets', () => {
    const stats = new RequestStats();
    stats.record('v1', { status: 200 }, 0.3);
    stats.record('v1', { status: 204 }, 2);
    stats.record('v1', { status: 503 }, 30);
    stats.record('v1', { failure: 'connect' }, 1);
    const pool = stats.pools.get('v1');
    expect(Object.fromEntries(pool?.byCode ?? [])).toEqual({ '2xx': 2, '5xx': 1, connect: 1 });
    expect(pool?.count).toBe(4);
    // 0.3 ms ≤ 0.5 ms bucket; 1 ms ≤ 1 ms; 2 ms ≤ 2.5 ms; 30 ms ≤ 50 ms.
    expect(pool?.buckets.slice(0, 7)).toEqual([1, 1, 1, 0, 0, 0, 1]);
  });
});
