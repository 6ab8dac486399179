import { describe, expect, it } from 'vitest';
import type { Balancer } from './balancer.js';
import { ForwardFinish } from './forward-finish.js';
import type { ForwardOutcome } from './forwarder.js';
import { RequestStats } from './request-stats.js';
import type { Upstream } from './upstream-pool.js';

const nextImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const upstream = { origin: 'http://10.0.0.1:8080' } as Upstream;

function finishing(startedMsAgo = 0): { finish: ForwardFinish; health: [string, boolean][]; done: [ForwardOutcome, number][]; stats: RequestStats } {
  const health: [string, boolean][] = [];
  const done: [ForwardOutcome, number][] = [];
  const stats = new RequestStats();
  const finish = new ForwardFinish(
    { recordOutcome: (origin, failed) => health.push([origin, failed]), stats },
    { balancer: {} as Balancer, pool: 'stable', responseHeaders: undefined, onDone: (outcome, elapsedMs) => done.push([outcome, elapsedMs]) },
    performance.now() - startedMsAgo,
  );
  return { finish, health, done, stats };
}

describe('ForwardFinish', () => {
  it('reports once, after the poll pass, with the time read when the request ended', async () => {
    const { finish, health, done, stats } = finishing(20);
    finish.done({ status: 200 }, upstream);
    finish.done({ failure: 'timeout' }, upstream);
    expect(finish.finished).toBe(true);
    expect(done).toEqual([]);
    // Work the loop does before the report must not count as the request's time.
    const busyUntil = performance.now() + 200;
    while (performance.now() < busyUntil);
    await nextImmediate();
    expect(done).toHaveLength(1);
    const [outcome, elapsedMs] = done[0] as [ForwardOutcome, number];
    expect(outcome).toEqual({ status: 200 });
    expect(elapsedMs).toBeGreaterThanOrEqual(20);
    expect(elapsedMs).toBeLessThan(200);
    expect(health).toEqual([[upstream.origin, false]]);
    expect(stats.pools.get('stable')?.count).toBe(1);
  });

  it('counts a 5xx against the endpoint, and says nothing of it when the client left or the proxy failed', async () => {
    const served = finishing();
    served.finish.done({ status: 503 }, upstream);
    const aborted = finishing();
    aborted.finish.done({ failure: 'client-aborted' }, upstream);
    const ownFault = finishing();
    ownFault.finish.done({ failure: 'proxy' }, upstream);
    await nextImmediate();
    expect(served.health).toEqual([[upstream.origin, true]]);
    expect(aborted.health).toEqual([]);
    expect(ownFault.health).toEqual([]);
    expect(aborted.done.map(([outcome]) => outcome)).toEqual([{ failure: 'client-aborted' }]);
  });
});
