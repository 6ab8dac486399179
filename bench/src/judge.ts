// `pnpm bench:judge`: how often the guardrail rolls back a healthy canary, and how fast it rolls
// back a worse one, by simulation through the code that builds and judges windows in production:
// per-second metric series as the proxy's MetricAggregator drains them → MetricBatchV1 →
// analytics' rowsOfBatches → the window query's grouping → the judge with its evidence, one
// 10 s window at a time. Beside it, a Kayenta-style reference: each window alone, one-sided
// Mann-Whitney at p < 0.01, rollback at the first failing window (latency only).
//
// Faithful and fast: recording every request through MetricAggregator would cost seconds per
// cell, and a cell holds up to 120 M requests, so each 1 s series' histogram is drawn directly: the bucket counts of
// Poisson traffic are independent Poisson counts (drawn per request when that is cheaper), put
// encoded as the aggregator's LatencyHistogram encodes them. The first
// window of every cell is also replayed request by request through the real MetricAggregator,
// and the bench stops if the two differ.
//
// Cells run on worker threads (JUDGE_WORKERS, default: the cores, at most 2); every cell has its
// own seed, so the figures do not depend on how cells are split.
//
// Env: JUDGE_RUNS (200), JUDGE_WINDOWS (30), JUDGE_SEED (1), JUDGE_WORKERS.
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { GUARDRAIL_TESTS, type MetricBatchV1, type MetricSeriesV1, type StatusClass } from '@graylane/contracts';
import { bucketValueUs, HISTOGRAM_LAYOUT } from '@graylane/histogram';
import { MetricAggregator } from '@graylane/proxy/metrics';
import {
  Evidence,
  judge,
  poolsOfRows,
  rowsOfBatches,
  settingsOf,
  sideOf,
  windowRowsOfBatchRows,
  type GuardrailSettings,
} from '@graylane/analytics/judge';
import { BASE_LATENCY, BucketDistribution, Rng, slowerTail, slowerWhole, type LatencyCdf } from './judge/model.js';
import { mannWhitneyPValue } from './judge/reference.js';

const RUNS = Number(process.env.JUDGE_RUNS ?? 200);
const WINDOWS = Number(process.env.JUDGE_WINDOWS ?? 30);
const SEED = Number(process.env.JUDGE_SEED ?? 1);
const WINDOW_S = 10;
const RATES = [20, 100, 500, 2000];
const WEIGHTS = [1, 10, 50];
const BASE_ERROR_RATE = 0.001;
/** The demo spec's minRequests on the defaults; pause after the default 30 inconclusive windows. */
const SPEC = { interval: `${WINDOW_S}s`, minRequests: 100, onInconclusive: 'pause' as const };
const REFERENCE_P = 0.01;
const WORKERS = Number(process.env.JUDGE_WORKERS ?? Math.min(2, availableParallelism()));
const ROLLOUT = 'bench';

interface Scenario {
  name: string;
  canary: LatencyCdf;
  errorIncrease: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'A/A', canary: BASE_LATENCY, errorIncrease: 0 },
  ...[1.3, 1.5, 2, 3].map((k) => ({ name: `whole x${k}`, canary: slowerWhole(BASE_LATENCY, k), errorIncrease: 0 })),
  ...[2, 3].map((k) => ({ name: `tail P99 x${k}`, canary: slowerTail(BASE_LATENCY, k), errorIncrease: 0 })),
  ...[0.005, 0.01, 0.02].map((d) => ({ name: `errors +${d * 100} pt`, canary: BASE_LATENCY, errorIncrease: d })),
];

/** What one run showed: the window (1-based) of the judge's rollback, of its pause, of the reference's rollback. */
interface RunResult {
  judgeAt: number | null;
  pausedAt: number | null;
  referenceAt: number | null;
  windows: number;
  /** Windows where each test's own p-value was below 1 %, and windows where that test had marked requests. */
  windowRejects: Record<string, number>;
  windowsJudged: Record<string, number>;
}

const stableDist = new BucketDistribution(BASE_LATENCY);

function seriesOf(pool: 'stable' | 'canary', statusClass: StatusClass, dist: BucketDistribution, counts: Float64Array, n: number): MetricSeriesV1 | undefined {
  if (n === 0) return undefined;
  const entries: [number, number][] = [];
  for (let i = 0; i < counts.length; i += 1) if ((counts[i] ?? 0) > 0) entries.push([dist.buckets[i] ?? 0, counts[i] ?? 0]);
  const version = pool === 'stable' ? 'v1' : 'v2';
  // LatencyHistogram.encode() of these counts: its layout and the non-empty buckets ascending.
  return { rollout: ROLLOUT, pool, version, region: '', statusClass, count: n, latency: { layout: HISTOGRAM_LAYOUT, buckets: entries } };
}

/** The same series, request by request through the proxy's aggregator; throws if they differ. */
function checkAgainstAggregator(series: MetricSeriesV1[]): void {
  const aggregator = new MetricAggregator();
  for (const one of series) {
    for (const [bucket, count] of one.latency.buckets) {
      for (let i = 0; i < count; i += 1) aggregator.record(one.rollout, one.pool, one.version, one.statusClass as StatusClass, bucketValueUs(bucket));
    }
  }
  const key = (s: MetricSeriesV1): string => `${s.pool}/${s.statusClass}`;
  const drained = new Map(aggregator.drain().map((s) => [key(s), JSON.stringify(s)]));
  for (const one of series) {
    if (drained.get(key(one)) !== JSON.stringify(one)) throw new Error(`series ${key(one)} differs from what MetricAggregator makes`);
  }
}

function runOnce(settings: GuardrailSettings, rate: number, weight: number, canaryDist: BucketDistribution, errorIncrease: number, rng: Rng, check: boolean): RunResult {
  const share = weight / 100;
  const stableCounts = new Float64Array(stableDist.buckets.length);
  const canaryCounts = new Float64Array(canaryDist.buckets.length);
  const sides = [
    { pool: 'stable' as const, dist: stableDist, counts: stableCounts, perSecond: rate * (1 - share), errorRate: BASE_ERROR_RATE },
    { pool: 'canary' as const, dist: canaryDist, counts: canaryCounts, perSecond: rate * share, errorRate: BASE_ERROR_RATE + errorIncrease },
  ];
  const result: RunResult = { judgeAt: null, pausedAt: null, referenceAt: null, windows: 0, windowRejects: {}, windowsJudged: {} };
  let evidence: Evidence | undefined;
  let seq = 0;
  // The reference reads each window's histograms straight from the sampled counts (the real
  // pipeline is lossless, so they are the same numbers); it keeps running after the judge has
  // decided, and then only sampling is left to do.
  const windowStable = new Float64Array(stableCounts.length);
  const windowCanary = new Float64Array(canaryCounts.length);
  for (let w = 1; w <= WINDOWS; w += 1) {
    const windowStartMs = 1_800_000_000_000 + (w - 1) * WINDOW_S * 1000;
    const judging = result.judgeAt === null;
    const batches: MetricBatchV1[] = [];
    windowStable.fill(0);
    windowCanary.fill(0);
    const totals = { stable: 0, canary: 0 };
    for (let s = 0; s < WINDOW_S; s += 1) {
      const series: MetricSeriesV1[] = [];
      for (const side of sides) {
        const classes: [StatusClass, number][] = [
          ['2xx', side.perSecond * (1 - side.errorRate)],
          ['5xx', side.perSecond * side.errorRate],
        ];
        const sums = side.pool === 'stable' ? windowStable : windowCanary;
        for (const [statusClass, mean] of classes) {
          const n = side.dist.sample(rng, mean, side.counts);
          totals[side.pool] += n;
          if (n > 0) for (let i = 0; i < sums.length; i += 1) sums[i] = (sums[i] ?? 0) + (side.counts[i] ?? 0);
          if (!judging) continue;
          const one = seriesOf(side.pool, statusClass, side.dist, side.counts, n);
          if (one !== undefined) series.push(one);
        }
      }
      if (check && w === 1 && s === 0) checkAgainstAggregator(series);
      if (series.length === 0) continue;
      seq += 1;
      const startMs = windowStartMs + s * 1000;
      batches.push({ schema: 'graylane.metric-batch/v1', batchId: `p1:${seq}`, proxyId: 'p1', seq, configVersion: 1, windowStartMs: startMs, windowEndMs: startMs + 1000, series });
    }
    result.windows = w;
    if (judging) {
      const windowEndMs = windowStartMs + WINDOW_S * 1000;
      const { counts, buckets } = windowRowsOfBatchRows(rowsOfBatches(batches), ROLLOUT, windowStartMs, windowEndMs);
      const pools = poolsOfRows(counts, buckets);
      const stable = sideOf(pools, 'stable', 'v1');
      const canary = sideOf(pools, 'canary', 'v2');
      evidence ??= new Evidence('v1', 'v2', windowEndMs);
      const judgement = judge(settings, evidence, stable, canary);
      for (const test of judgement.tests) {
        if (test.marked === 0) continue;
        result.windowsJudged[test.test] = (result.windowsJudged[test.test] ?? 0) + 1;
        if (test.windowPValue < 0.01) result.windowRejects[test.test] = (result.windowRejects[test.test] ?? 0) + 1;
      }
      if (judgement.outcome === 'fail') result.judgeAt = w;
      else if (result.pausedAt === null && judgement.inconclusiveStreak >= settings.inconclusiveLimit) result.pausedAt = w;
    }
    if (result.referenceAt === null && totals.stable >= settings.minRequests && totals.canary >= settings.minRequests) {
      if (mannWhitneyPValue(entriesOf(stableDist, windowStable), entriesOf(canaryDist, windowCanary)) < REFERENCE_P) result.referenceAt = w;
    }
    if (result.judgeAt !== null && result.referenceAt !== null) break;
  }
  return result;
}

function entriesOf(dist: BucketDistribution, counts: Float64Array): [number, number][] {
  const entries: [number, number][] = [];
  for (let i = 0; i < counts.length; i += 1) if ((counts[i] ?? 0) > 0) entries.push([dist.buckets[i] ?? 0, counts[i] ?? 0]);
  return entries;
}

interface CellSummary {
  cell: string;
  results: RunResult[];
}

function pct(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}`;
}

function within(results: RunResult[], pick: (r: RunResult) => number | null, windows: number): string {
  return pct(results.filter((r) => (pick(r) ?? Infinity) <= windows).length, results.length);
}

function median(results: RunResult[], pick: (r: RunResult) => number | null): string {
  const times = results.map((r) => pick(r) ?? Infinity).sort((a, b) => a - b);
  const mid = times[Math.floor((times.length - 1) / 2)] ?? Infinity;
  return Number.isFinite(mid) ? String(mid) : `>${WINDOWS}`;
}

function printRows(title: string, headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(`\n${title}`);
  console.log(line(headers));
  for (const row of rows) console.log(line(row));
}

function seedOf(text: string): number {
  let h = 2166136261 ^ SEED;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** One cell of one scenario: what a worker simulates. */
interface Task {
  scenario: number;
  rate: number;
  weight: number;
}

function runTask(settings: GuardrailSettings, task: Task): RunResult[] {
  const scenario = SCENARIOS[task.scenario];
  if (scenario === undefined) throw new Error(`no scenario ${task.scenario}`);
  const canaryDist = new BucketDistribution(scenario.canary);
  const rng = new Rng(seedOf(`${scenario.name}/${cellName(task)}`));
  const results: RunResult[] = [];
  for (let run = 0; run < RUNS; run += 1) results.push(runOnce(settings, task.rate, task.weight, canaryDist, scenario.errorIncrease, rng, run === 0));
  return results;
}

function cellName(task: Pick<Task, 'rate' | 'weight'>): string {
  return `${task.rate} req/s ${task.weight}%`;
}

/** Runs every task on `WORKERS` threads, the slow ones (high rates) first. */
async function runAll(tasks: Task[]): Promise<RunResult[][]> {
  const results: RunResult[][] = new Array<RunResult[]>(tasks.length);
  const order = tasks.map((_, i) => i).sort((a, b) => (tasks[b]?.rate ?? 0) - (tasks[a]?.rate ?? 0));
  let next = 0;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.max(1, WORKERS) }, async () => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { worker: true } });
      let pending: { resolve: (r: RunResult[]) => void; reject: (e: unknown) => void } | undefined;
      worker.on('message', (r: RunResult[]) => pending?.resolve(r));
      worker.on('error', (e) => pending?.reject(e));
      try {
        for (let i = order[next++]; i !== undefined; i = order[next++]) {
          const task = tasks[i];
          results[i] = await new Promise<RunResult[]>((resolve, reject) => {
            pending = { resolve, reject };
            worker.postMessage(task);
          });
          done += 1;
          if (done % 10 === 0) process.stderr.write(`${done}/${tasks.length} cells in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
        }
      } finally {
        await worker.terminate();
      }
    }),
  );
  return results;
}

async function main(): Promise<void> {
  const settings = settingsOf(SPEC);
  const started = performance.now();
  console.log(
    `bench:judge — ${RUNS} runs x ${WINDOWS} windows of ${WINDOW_S} s per cell, seed ${SEED}, ${WORKERS} worker threads; spec analysis ${JSON.stringify(SPEC)} on the defaults ` +
      `(false-rollback budget ${settings.significance}, margins ${settings.maxP99Ratio}x / +${settings.maxErrorRateIncrease * 100} pt, floor ${settings.minP99IncreaseMs} ms, inconclusiveLimit ${settings.inconclusiveLimit})`,
  );
  const tasks: Task[] = SCENARIOS.flatMap((_, scenario) => RATES.flatMap((rate) => WEIGHTS.map((weight) => ({ scenario, rate, weight }))));
  const all = await runAll(tasks);
  const byScenario = new Map<string, CellSummary[]>();
  tasks.forEach((task, i) => {
    const name = SCENARIOS[task.scenario]?.name ?? '';
    const cells = byScenario.get(name) ?? [];
    cells.push({ cell: cellName(task), results: all[i] ?? [] });
    byScenario.set(name, cells);
  });

  const aa = byScenario.get('A/A') ?? [];
  const testHeaders = GUARDRAIL_TESTS.map((t) => `${t} p<1%`);
  printRows(
    `A/A (canary = stable): % of runs rolled back over ${WINDOWS} windows (judge budget ${settings.significance * 100} % per rollout; reference = per-window Mann-Whitney p<${REFERENCE_P}), ` +
      `% paused for low traffic, and the per-window rate of each exact test at p<1 % (nominal 1 %, % of windows where the test had marked requests)`,
    ['cell', 'judge rollback %', 'MW reference %', 'paused %', ...testHeaders],
    aa.map(({ cell, results }) => {
      const rates = GUARDRAIL_TESTS.map((t) => {
        const judged = results.reduce((sum, r) => sum + (r.windowsJudged[t] ?? 0), 0);
        const rejected = results.reduce((sum, r) => sum + (r.windowRejects[t] ?? 0), 0);
        return judged === 0 ? '-' : `${pct(rejected, judged)}`;
      });
      return [cell, within(results, (r) => r.judgeAt, WINDOWS), within(results, (r) => r.referenceAt, WINDOWS), within(results, (r) => r.pausedAt, WINDOWS), ...rates];
    }),
  );
  for (const scenario of SCENARIOS.slice(1)) {
    const cells = byScenario.get(scenario.name) ?? [];
    printRows(
      `${scenario.name}: % of runs rolled back within 1 / 3 / 6 windows and median windows to rollback — judge | Mann-Whitney reference`,
      ['cell', 'judge <=1', '<=3', '<=6', 'median', 'paused %', '|', 'MW <=1', '<=3', '<=6', 'median'],
      cells.map(({ cell, results }) => [
        cell,
        within(results, (r) => r.judgeAt, 1),
        within(results, (r) => r.judgeAt, 3),
        within(results, (r) => r.judgeAt, 6),
        median(results, (r) => r.judgeAt),
        within(results, (r) => (r.judgeAt === null ? r.pausedAt : null), WINDOWS),
        '|',
        within(results, (r) => r.referenceAt, 1),
        within(results, (r) => r.referenceAt, 3),
        within(results, (r) => r.referenceAt, 6),
        median(results, (r) => r.referenceAt),
      ]),
    );
  }
  console.log(`\nfinished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

if (isMainThread) {
  await main();
} else if ((workerData as { worker?: boolean } | undefined)?.worker === true) {
  const settings = settingsOf(SPEC);
  parentPort?.on('message', (task: Task) => parentPort?.postMessage(runTask(settings, task)));
}
