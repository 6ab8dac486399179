import type { GuardrailPauseEventV1, RollbackEventV1, RolloutRecordV1, VerdictV2 } from '@graylane/contracts';
import { bucketIndexOf } from '@graylane/histogram';
import { createLogger } from '@graylane/runtime';
import { describe, expect, it } from 'vitest';
import type { WindowPool } from '../store/window-pools.js';
import { GuardrailLoop } from './guardrail-loop.js';

const INTERVAL_MS = 10_000;

/** `n` requests of one pool spread evenly over 10–20 ms, times `factor`. */
function pool(name: 'stable' | 'canary', version: string, n: number, factor = 1): WindowPool {
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i += 1) {
    const bucket = bucketIndexOf((10 + (10 * (i + 0.5)) / n) * factor * 1000);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return { pool: name, version, requests: n, errors: 0, buckets: [...counts].sort((a, b) => a[0] - b[0]) };
}

function record(canary: string, weight: number, analysis: RolloutRecordV1['spec']['analysis'], state: RolloutRecordV1['state'] = 'progressing'): RolloutRecordV1 {
  return {
    name: 'shop',
    state,
    updatedAt: '2026-12-02T00:00:00.000Z',
    updatedBy: 'test',
    spec: {
      match: { pathPrefix: '/' },
      stable: { name: 'v1', upstreams: ['http://127.0.0.1:1'] },
      canary: { name: canary, upstreams: ['http://127.0.0.1:2'] },
      traffic: { weight },
      analysis,
    },
  };
}

/** A loop on fakes: `traffic` answers each window, `current` is the table it sees. */
function harness(traffic: (canary: string) => WindowPool[]) {
  let now = 0;
  let current = record('v2', 10, { minRequests: 200 });
  let version = 1;
  const verdicts: VerdictV2[] = [];
  const rollbacks: RollbackEventV1[] = [];
  const pauses: GuardrailPauseEventV1[] = [];
  let failInsert = false;
  const loop = new GuardrailLoop(
    {
      pools: { windowPools: async () => traffic(current.spec.canary.name) },
      verdicts: {
        insert: async (v) => {
          if (failInsert) throw new Error('ClickHouse down');
          verdicts.push(v);
        },
      },
      publishRollback: async (e) => (rollbacks.push(e), 'published'),
      publishPause: async (e) => (pauses.push(e), 'published'),
      table: () => ({ version, table: { schema: 'graylane.routing-table/v1', rollouts: { shop: current } } }),
      now: () => now,
      logger: createLogger('guardrail-loop-test', 'silent'),
    },
    { settleMs: 0, tickMs: 1_000 },
  );
  return {
    verdicts,
    rollbacks,
    pauses,
    set(next: RolloutRecordV1) {
      current = next;
      version += 1;
    },
    failInsert(value: boolean) {
      failInsert = value;
    },
    async window(): Promise<VerdictV2[]> {
      now += INTERVAL_MS;
      return loop.evaluateDue();
    },
  };
}

describe('GuardrailLoop evidence', () => {
  it('keeps evidence across a weight change and starts again for a new canary version', async () => {
    const h = harness((canary) => [pool('stable', 'v1', 150), pool('canary', canary, 150)]);
    await h.window();
    h.set(record('v2', 50, { minRequests: 200 }));
    const [second] = await h.window();
    expect(second).toMatchObject({ outcome: 'pass', evidence: { windows: 2 }, canary: { requests: 300 } });
    h.set(record('v3', 50, { minRequests: 200 }));
    const [fresh] = await h.window();
    expect(fresh).toMatchObject({ outcome: 'inconclusive', evidence: { windows: 1 }, canary: { version: 'v3', requests: 150 } });
  });

  it('does not count a window twice when storing its verdict failed and it is judged again', async () => {
    const h = harness((canary) => [pool('stable', 'v1', 150), pool('canary', canary, 150)]);
    await h.window();
    h.failInsert(true);
    expect(await h.window()).toEqual([]);
    h.failInsert(false);
    const [retried] = await h.window();
    // Window 2 was never stored; the next tick judges window 3 on top of window 1 only.
    expect(retried).toMatchObject({ evidence: { windows: 2 }, canary: { requests: 300 } });
  });

  it('rolls back once per config version, and alerts or pauses every inconclusiveLimit windows of too little traffic', async () => {
    const slow = harness((canary) => [pool('stable', 'v1', 500), pool('canary', canary, 500, 3)]);
    const actions = [];
    for (let w = 0; w < 3; w += 1) actions.push((await slow.window())[0]?.action);
    expect(actions).toEqual(['rollback', 'none', 'none']);
    expect(slow.rollbacks).toHaveLength(1);
    expect(slow.rollbacks[0]!.reason).toMatch(/^canary worse: latency-median e=/);

    const quiet = harness((canary) => [pool('stable', 'v1', 20), pool('canary', canary, 2)]);
    quiet.set(record('v2', 1, { minRequests: 200, inconclusiveLimit: 3, onInconclusive: 'alert' }));
    const alerts = [];
    for (let w = 0; w < 7; w += 1) alerts.push((await quiet.window())[0]?.action);
    expect(alerts).toEqual(['none', 'none', 'alert', 'none', 'none', 'alert', 'none']);
    expect(quiet.verdicts[2]!.reason).toMatch(/^3 inconclusive windows \(alert\): too little traffic/);

    const paused = harness((canary) => [pool('stable', 'v1', 20), pool('canary', canary, 2)]);
    paused.set(record('v2', 1, { minRequests: 200, inconclusiveLimit: 2, onInconclusive: 'pause' }));
    await paused.window();
    expect((await paused.window())[0]?.action).toBe('pause');
    expect(paused.pauses).toEqual([expect.objectContaining({ rollout: 'shop', canaryVersion: 'v2', inconclusiveWindows: 2 })]);
    // Paused now: judged on, never paused again while it stays paused.
    paused.set(record('v2', 1, { minRequests: 200, inconclusiveLimit: 2, onInconclusive: 'pause' }, 'paused'));
    for (let w = 0; w < 4; w += 1) expect((await paused.window())[0]?.action).toBe('none');
    expect(paused.pauses).toHaveLength(1);
  });
});
