// Guardrails end to end: a canary made 3x slower at P99 under ~250 req/s is rolled back at every
// proxy by itself; one 10 % slower is not; one 3x slower at 12 req/s, too little traffic for any
// single window, is rolled back too once its windows add up to proof (the sequential judge).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerdictV1, VerdictV2 } from '@graylane/contracts';
import { eventually } from '@graylane/testkit';
import { get } from './support/http.js';
import { runGraylane } from './support/processes.js';
import {
  applyRollout,
  paceLoad,
  proxiesAt,
  startAnalyticsStack,
  startBackend,
  type AnalyticsStack,
  type BackendProcess,
} from './support/analytics-stack.js';

const ROLLOUTS = ['slow', 'slight', 'quiet'] as const;
// Requests per second per rollout, across both proxies; half reach the canary.
const RATES: Record<(typeof ROLLOUTS)[number], number> = { slow: 130, slight: 110, quiet: 12 };
const ANALYSIS = { interval: '5s', minRequests: 200, maxP99Ratio: 1.5, minP99IncreaseMs: 5, consecutiveFailures: 1 };
const BASE = { latencyMs: 20, tailRate: 0.02, tailMs: 20 };

let stack: AnalyticsStack;
const backends: BackendProcess[] = [];
const canaries = new Map<string, BackendProcess>();

beforeAll(async () => {
  stack = await startAnalyticsStack({ proxies: 2, database: 'e2e_rollback', analyticsEnv: { GRAYLANE_ANALYTICS_GUARDRAIL_SETTLE_MS: '2000' } });
  for (const name of ROLLOUTS) {
    const [stable, canary] = await Promise.all([startBackend('v1', BASE), startBackend('v2', BASE)]);
    canaries.set(name, canary);
    backends.push(stable, canary);
    await applyRollout(stack, name, {
      match: { pathPrefix: `/${name}` },
      stable: { name: 'v1', upstreams: [stable.url] },
      canary: { name: 'v2', upstreams: [canary.url] },
      responseHeaders: true,
      traffic: { weight: 50, stickyKey: ['header:x-user-id'] },
      analysis: ANALYSIS,
    });
  }
});

afterAll(async () => {
  await Promise.all([stack?.stop(), ...backends.map((backend) => backend.process.stop())]);
});

async function verdicts(name: string): Promise<VerdictV1[]> {
  const seen = await get(`${stack.analyticsUrl}/api/v1/verdicts/${name}?since=10m`);
  return (JSON.parse(seen.body) as { verdicts: VerdictV1[] }).verdicts;
}

async function rolloutState(name: string): Promise<{ version: number; state: string; weight: number; reason?: string }> {
  const run = await runGraylane(['get', name, '--json'], stack.env);
  const reply = JSON.parse(run.stdout) as { version: number; rollouts: { state: string; reason?: string; spec: { traffic: { weight: number } } }[] };
  const [record] = reply.rollouts;
  return { version: reply.version, state: record?.state ?? 'missing', weight: record?.spec.traffic.weight ?? -1, reason: record?.reason };
}

describe('automatic rollback', () => {
  it('rolls back a canary 3x slower at P99 at every proxy, leaves a 10 % slower one alone, and catches a quiet one over several windows', async () => {
    let changedAt = Number.POSITIVE_INFINITY;
    const load = paceLoad(
      stack.proxyUrls,
      ROLLOUTS.map((name) => ({ path: `/${name}/item`, rate: RATES[name] })),
      75_000,
    );
    try {
      // A healthy baseline first: the slow rollout passes before anything changes.
      await eventually('a passing verdict for "slow"', 30_000, async () =>
        (await verdicts('slow')).some((v) => v.outcome === 'pass') ? true : undefined,
      ).catch(async (error: unknown) => {
        throw new Error(`${String(error)}\n${(await verdicts('slow')).map((v) => `${v.outcome}: ${v.reason}`).join('\n')}\n${stack.logs()}`);
      });
      expect(await verdicts('quiet')).not.toEqual([]);

      changedAt = Date.now();
      await Promise.all([
        canaries.get('slow')!.settings({ latencyMs: 60, tailMs: 60 }),
        canaries.get('slight')!.settings({ latencyMs: 22, tailMs: 22 }),
        canaries.get('quiet')!.settings({ latencyMs: 60, tailMs: 60 }),
      ]);

      // "quiet" may be rolled back first (a new version too), so wait for "slow" itself, then for
      // every proxy to apply the version that holds its rollback.
      const rolledBack = await eventually('"slow" rolled back', 30_000, async () => {
        const state = await rolloutState('slow');
        return state.state === 'rolled_back' ? state : undefined;
      }).catch(async (error: unknown) => {
        const seen = (await verdicts('slow')).map((v) => `${v.outcome}/${v.action}: ${v.reason}`);
        throw new Error(`${String(error)}\nverdicts:\n${seen.join('\n')}\n${stack.logs()}`);
      });
      await proxiesAt(stack, rolledBack.version, 10_000);
      const appliedEverywhereMs = Date.now() - changedAt;
      console.log(`change to rollback applied at both proxies: ${(appliedEverywhereMs / 1000).toFixed(1)} s (interval 5 s, 1 failure to act, 2 s settle)`);
      console.log(`rollback reason: ${rolledBack.reason ?? ''}`);
      expect(rolledBack.weight).toBe(0);
      expect(rolledBack.reason).toMatch(/p99/);
      expect(appliedEverywhereMs).toBeLessThan(20_000);

      // Every proxy now sends every user of "slow" to stable.
      for (const proxy of stack.proxyUrls) {
        for (let i = 0; i < 40; i += 1) {
          const seen = await get(`${proxy}/slow/after`, { 'x-user-id': `user-${i}` });
          expect(seen.headers['x-graylane-pool']).toBe('v1');
        }
      }
      const slowVerdicts = await verdicts('slow');
      for (const v of [...slowVerdicts].reverse()) {
        console.log(
          `slow window end ${((v.window.endMs - changedAt) / 1000).toFixed(1)} s, judged ${((Date.parse(v.evaluatedAt) - changedAt) / 1000).toFixed(1)} s: ${v.outcome}/${v.action} ${v.reason}`,
        );
      }
      expect(slowVerdicts.filter((v) => v.action === 'rollback')).toHaveLength(1);
      // V2 sides are totals since the evidence began (warm-up included); the breached test carries
      // the effect it was judged on.
      const acted = slowVerdicts.find((v) => v.action === 'rollback') as VerdictV2;
      const breached = acted.tests.filter((test) => test.breached);
      expect(breached.length).toBeGreaterThan(0);
      for (const test of breached) expect(test.effect).toBeGreaterThan(1.5);

      // The quiet canary: 30 requests a side per 5 s window, each window too small to pass alone;
      // the evidence of several windows proves it slower.
      await eventually('the quiet canary rolled back', 45_000, async () => ((await rolloutState('quiet')).state === 'rolled_back' ? true : undefined)).catch(
        async (error: unknown) => {
          throw new Error(`${String(error)}\n${(await verdicts('quiet')).map((v) => `${v.outcome}/${v.action}: ${v.reason}`).join('\n')}`);
        },
      );
      // Two more windows for the slight one to be judged under the changed latencies.
      await new Promise((resolve) => setTimeout(resolve, 11_000));
    } finally {
      await load.stop();
    }
    const slightState = await rolloutState('slight');
    expect(slightState, `slight: ${slightState.reason ?? ''}`).toMatchObject({ state: 'progressing', weight: 50 });
    const slight = await verdicts('slight');
    const quiet = await verdicts('quiet');
    console.log(`slight: ${slight.map((v) => v.outcome).join(',')}; quiet: ${quiet.map((v) => v.outcome).join(',')}`);
    // Judged after the change, with enough traffic, and found fine.
    expect(slight.filter((v) => v.outcome === 'pass' && v.window.startMs >= changedAt).length).toBeGreaterThanOrEqual(1);
    expect(slight.every((v) => v.action === 'none' && v.outcome !== 'fail')).toBe(true);
    // Before the change too little traffic to pass, never a failure; after it, one rollback, and
    // the windows it took are in its evidence.
    expect(quiet.filter((v) => v.window.endMs <= changedAt).every((v) => v.outcome === 'inconclusive' && v.action === 'none')).toBe(true);
    const quietRollback = quiet.filter((v) => v.action === 'rollback');
    expect(quietRollback).toHaveLength(1);
    const quietActed = quietRollback[0] as VerdictV2;
    expect(quietActed.reason).toMatch(/^canary worse: latency-/);
    expect(quietActed.evidence.windows).toBeGreaterThanOrEqual(2);
    expect(quietActed.tests.every((test) => test.pooledRequests < 200)).toBe(true);
    // The report carries the verdicts too, and the rollback is in the audit table.
    const report = JSON.parse((await get(`${stack.analyticsUrl}/api/v1/reports/slow?since=10m`)).body) as { verdicts?: VerdictV1[] };
    expect(report.verdicts?.some((v) => v.action === 'rollback')).toBe(true);
  });
});
