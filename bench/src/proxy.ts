// `pnpm bench:proxy`: forwarding throughput and latency of graylane against its peers, all on one
// nginx backend serving a fixed body and one load generator (wrk). Each proxy runs as its own
// process pinned to CPU 0 (the 2-worker row gets every CPU); the backend and wrk share CPU 1.
// Installs nothing; starts and stops its own nginx, NATS and proxies in a temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROUTING_TABLE_KEY, type RoutingTableV1 } from '@graylane/contracts';
import { connectNats, createLogger, openConfigBucket } from '@graylane/runtime';
import { freePort, rolloutRecord, routingTableOf, startNats, waitForHttp, waitForTcp } from '@graylane/testkit';
import { printTable, type BenchRow } from './table.js';
import { backendConfig, proxyConfig, startNginx, type RunningNginx } from './proxy/nginx.js';
import { pacingScript, runWrk, type WrkResult } from './proxy/wrk.js';
import { cpuMsOf } from './proxy/cpu.js';
import { cpuTicksNow, describeMachineBefore, describeSteal } from './machine-busy.js';
import { stopChild } from './stop-child.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
/** Rounds over all subjects, in rotating order; the median of each figure is shown, which damps other load on a shared machine. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const PAIRED = availableParallelism() >= 2;
const PROXY_CPU = PAIRED ? '0' : undefined;
const LOAD_CPU = PAIRED ? '1' : undefined;

const NODE_CEILING = 'node:http answering itself (ceiling)';
const MINIMAL = 'minimal Node forwarder (yardstick)';
const dir = mkdtempSync(join(tmpdir(), 'graylane-bench-proxy-'));
const stoppers: (() => Promise<void>)[] = [];

/** Every CPU, for the multi-worker row. */
const ALL_CPUS = PAIRED ? `0-${availableParallelism() - 1}` : undefined;

function spawnPinned(args: string[], env: Record<string, string> = {}, cpus = PROXY_CPU): ChildProcess {
  const [command, argv] = cpus === undefined ? [process.execPath, args] : ['taskset', ['-c', cpus, process.execPath, ...args]];
  const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  stoppers.push(() => stopChild(child));
  return child;
}

function table(stable: string, canary: string): RoutingTableV1 {
  const rules = [{ when: { header: 'x-beta', equals: '1' }, to: 'canary' as const }];
  return routingTableOf(
    rolloutRecord(
      { name: 'bench', pathPrefix: '/', weight: 10, stableUpstreams: [stable], canaryUpstreams: [canary], stickyKey: ['header:x-user-id', 'ip'], responseHeaders: true, updatedBy: 'bench' },
      { rules },
    ),
  );
}

/** A real graylane proxy process (dist/main.js) on NATS, with the rollout written to the KV bucket. */
async function startGraylane(port: number, stable: string, canary: string, workers = 1): Promise<number> {
  const nats = await startNats();
  stoppers.push(() => nats.stop());
  const nc = await connectNats(nats.url, createLogger('bench', 'warn'), { name: 'bench', waitForServer: false });
  const kv = await openConfigBucket(nc);
  await kv.put(ROUTING_TABLE_KEY, JSON.stringify(table(stable, canary)));
  await nc.close();
  const adminPort = await freePort();
  const child = spawnPinned([join(REPO_ROOT, 'services/proxy/dist/main.js')], {
    GRAYLANE_NATS_URL: nats.url,
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    LOG_LEVEL: 'warn',
    GRAYLANE_PROXY_WORKERS: String(workers),
    // No Redis in this benchmark: sessions are not part of the rollout, and the proxy serves without it.
    GRAYLANE_REDIS_URL: 'redis://127.0.0.1:1',
  }, workers > 1 ? ALL_CPUS : PROXY_CPU);
  await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, 20_000);
  return child.pid ?? 0;
}

/** A measured subject: its port, and the pid whose CPU time is its cost (undefined: not counted). */
type Subject = [name: string, port: number, pid: number | undefined];

/** wrk's figures plus the CPU the proxy spent per request, which other load on the machine hardly changes. */
interface Measured extends WrkResult {
  cpuUsPerRequest: number;
}

async function measured(subject: Subject, run: (port: number) => Promise<WrkResult>): Promise<Measured> {
  const [, port, pid] = subject;
  const cpuBefore = pid === undefined ? 0 : cpuMsOf(pid);
  const result = await run(port);
  const cpuMs = pid === undefined ? NaN : cpuMsOf(pid) - cpuBefore;
  const requests = result.rps * SECONDS;
  return { ...result, cpuUsPerRequest: (cpuMs * 1000) / requests };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Every round's figures of each subject, in round order. */
type ByRound = Map<string, Measured[]>;

/** Runs `run` for every subject, ROUNDS times in rotating order, and keeps every round's figures. */
async function inRounds(subjects: Subject[], run: (port: number) => Promise<WrkResult>): Promise<ByRound> {
  const all: ByRound = new Map(subjects.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < subjects.length; i++) {
      const subject = subjects[(i + round) % subjects.length] as Subject;
      all.get(subject[0])?.push(await measured(subject, run));
    }
  }
  return all;
}

/** The median of each figure over the rounds, per subject: what the tables show. */
function medians(byRound: ByRound): Map<string, Measured> {
  return new Map(
    [...byRound].map(([name, results]) => [
      name,
      {
        rps: median(results.map((r) => r.rps)),
        p50Ms: median(results.map((r) => r.p50Ms)),
        p99Ms: median(results.map((r) => r.p99Ms)),
        errors: results.reduce((sum, r) => sum + r.errors, 0),
        cpuUsPerRequest: median(results.map((r) => r.cpuUsPerRequest)),
      },
    ]),
  );
}

/**
 * The median over the rounds of `compare(a's figures, b's figures)` from the same round. The
 * machine's speed drifts over minutes, and a Node process's figures with it more than nginx's, so
 * two subjects are compared within a round, seconds apart, not through medians taken over the
 * whole run: the goal lines use this.
 */
function pairedMedian(byRound: ByRound, a: string, b: string, compare: (a: Measured, b: Measured) => number): number {
  const as = byRound.get(a) ?? [];
  const bs = byRound.get(b) ?? [];
  return median(as.map((result, round) => compare(result, bs[round] as Measured)));
}

const TWO_WORKERS = 'graylane, 2 workers';

async function main(): Promise<void> {
  // Measured before anything of the bench starts: the bench's own processes are not "something else".
  console.log(await describeMachineBefore());
  const ports = await Promise.all(Array.from({ length: 9 }, () => freePort()));
  const [backendPort, canaryPort, nginxPort, httpProxyPort, undiciPort, graylanePort, twoWorkersPort, nodeAnswersPort, minimalPort] = ports as [number, number, number, number, number, number, number, number, number];
  const backend: RunningNginx = await startNginx(join(dir, 'backend'), backendConfig(join(dir, 'backend'), [backendPort, canaryPort]), backendPort, LOAD_CPU);
  stoppers.push(() => backend.stop());
  const nginx = await startNginx(join(dir, 'proxy'), proxyConfig(join(dir, 'proxy'), nginxPort, backendPort), nginxPort, PROXY_CPU);
  stoppers.push(() => nginx.stop());
  const httpProxyPid = spawnPinned([join(import.meta.dirname, 'proxy', 'peers.js'), 'http-proxy', String(httpProxyPort), `http://127.0.0.1:${backendPort}`]).pid;
  const undiciPid = spawnPinned([join(import.meta.dirname, 'proxy', 'peers.js'), 'undici', String(undiciPort), `http://127.0.0.1:${backendPort}`]).pid;
  const nodeAnswersPid = spawnPinned([join(import.meta.dirname, 'proxy', 'peers.js'), 'node-answers', String(nodeAnswersPort), `http://127.0.0.1:${backendPort}`]).pid;
  const minimalPid = spawnPinned([join(import.meta.dirname, 'proxy', 'peers.js'), 'minimal', String(minimalPort), `http://127.0.0.1:${backendPort}`]).pid;
  await Promise.all([waitForTcp(httpProxyPort, 10_000), waitForTcp(undiciPort, 10_000), waitForTcp(nodeAnswersPort, 10_000), waitForTcp(minimalPort, 10_000)]);
  const stable = `http://127.0.0.1:${backendPort}`;
  const canary = `http://127.0.0.1:${canaryPort}`;
  const graylanePid = await startGraylane(graylanePort, stable, canary);
  // Every CPU for the proxy; its primary and workers are one process tree, so cpuMsOf counts them all.
  const twoWorkersPid = await startGraylane(twoWorkersPort, stable, canary, 2);

  // Every subject gets the same request: a sticky user id, so graylane hashes; no rule matches.
  const headers = ['x-user-id: user-42'];
  const subjects: Subject[] = [
    ['direct (no proxy)', backendPort, undefined],
    ['nginx proxy_pass', nginxPort, nginx.pid],
    ['http-proxy', httpProxyPort, httpProxyPid],
    ['undici (bare)', undiciPort, undiciPid],
    ['graylane', graylanePort, graylanePid],
    // The ceiling of any Node proxy on one core: node:http answering by itself, forwarding nothing.
    [NODE_CEILING, nodeAnswersPort, nodeAnswersPid],
    // How close any Node forwarder gets: the least forwarding work for this request (minimal-forwarder.ts).
    [MINIMAL, minimalPort, minimalPid],
  ];
  const twoWorkers: Subject = [TWO_WORKERS, twoWorkersPort, twoWorkersPid];
  const url = (port: number): string => `http://127.0.0.1:${port}/checkout/cart`;
  for (const [, port] of [...subjects, twoWorkers]) await runWrk(url(port), { connections: CONNECTIONS, seconds: 1, cpus: LOAD_CPU, headers }); // warm-up: JIT, pools
  const peakStart = cpuTicksNow();
  const peakByRound = await inRounds(subjects, (port) => runWrk(url(port), { connections: CONNECTIONS, seconds: SECONDS, cpus: LOAD_CPU, headers }));
  const peakSteal = describeSteal('the peak rounds', peakStart);
  const peak = medians(peakByRound);

  // Two workers may use both cores, which wrk and the backend share with them: a saturating wrk
  // would measure the fight for CPU, not the proxy. So wrk is paced at the single-process graylane
  // peak, a rate both workers serve with room to spare, and the CPU per request is read at that rate.
  const graylanePeak = (peak.get('graylane') as Measured).rps;
  const delayMs = 10;
  const script = pacingScript(dir, delayMs);
  const pacedConnections = (rate: number): number => Math.max(1, Math.round((rate * delayMs) / 1000));
  const twoWorkersAtPeak = await inRounds([twoWorkers], (port) =>
    runWrk(url(port), { connections: pacedConnections(graylanePeak), seconds: SECONDS, cpus: LOAD_CPU, script, headers }),
  );
  peak.set(TWO_WORKERS, medians(twoWorkersAtPeak).get(TWO_WORKERS) as Measured);
  const rows: BenchRow[] = [...subjects, twoWorkers].map(([name]) => {
    const r = peak.get(name) as Measured;
    // What one core would serve if nothing else ran on it: 1 s of CPU divided by the CPU per request.
    const perCore = 1e6 / r.cpuUsPerRequest;
    return { name, values: { 'req/s': r.rps, 'p50 ms': r.p50Ms, 'p99 ms': r.p99Ms, 'CPU µs/req': r.cpuUsPerRequest, 'req/s per core': perCore, errors: r.errors } };
  });
  printTable(`Peak, median of ${ROUNDS} rounds: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, proxies pinned to CPU ${PROXY_CPU ?? '-'}, backend+wrk on CPU ${LOAD_CPU ?? '-'}`, rows, {
    baseline: 'nginx proxy_pass',
    columns: ['req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'req/s per core', 'errors'],
  });
  console.log(
    `Note: "${TWO_WORKERS}" runs with GRAYLANE_PROXY_WORKERS=2 on CPUs ${ALL_CPUS ?? '-'} (backend+wrk still on CPU ${LOAD_CPU ?? '-'}), wrk paced at graylane's ` +
      `single-process peak (${graylanePeak.toFixed(0)} req/s: ${pacedConnections(graylanePeak)} connections, ${delayMs} ms pause after each response), ` +
      'not saturating: its req/s is that rate, its CPU µs/req is the sum over primary and workers.',
  );
  console.log(peakSteal);

  // Latency below saturation: every subject at half of graylane's peak rate, paced per connection.
  const rate = graylanePeak / 2;
  const connections = pacedConnections(rate);
  const pacedStart = cpuTicksNow();
  const pacedByRound = await inRounds([...subjects, twoWorkers], (port) => runWrk(url(port), { connections, seconds: SECONDS, cpus: LOAD_CPU, script, headers }));
  const pacedSteal = describeSteal('the constant-rate rounds', pacedStart);
  const pacedResults = medians(pacedByRound);
  const paced: BenchRow[] = [...subjects, twoWorkers].map(([name]) => {
    const r = pacedResults.get(name) as Measured;
    return { name, values: { 'req/s': r.rps, 'p50 ms': r.p50Ms, 'p99 ms': r.p99Ms } };
  });
  printTable(`Constant rate ≈ ${rate.toFixed(0)} req/s (half of graylane's peak; ${connections} connections, each pausing ${delayMs} ms after a response)`, paced, {
    baseline: 'nginx proxy_pass',
    columns: ['req/s', 'p50 ms', 'p99 ms'],
    digits: 3,
  });
  console.log(pacedSteal);
  const p99 = (name: string): number => paced.find((row) => row.name === name)?.values['p99 ms'] ?? NaN;
  const nginxRps = peak.get('nginx proxy_pass')?.rps ?? NaN;
  const cpu = (name: string): number => peak.get(name)?.cpuUsPerRequest ?? NaN;
  // Per core, from CPU per request: b's CPU per request over a's, so above 1 means a serves more per core.
  const perCore = (a: string, b: string): number => pairedMedian(peakByRound, a, b, (x, y) => y.cpuUsPerRequest / x.cpuUsPerRequest);
  const p99Above = (a: string, b: string): number => pairedMedian(pacedByRound, a, b, (x, y) => x.p99Ms - y.p99Ms);
  const twoWorkersCpu = cpu('nginx proxy_pass') / cpu(TWO_WORKERS);
  console.log(`\nGoal lines compare two subjects round by round (median over ${ROUNDS} rounds of each round's figure); the tables show medians per subject.`);
  // Three digits where a goal is judged, so that a rounded 0.45 cannot hide a miss.
  console.log(
    `Goals, per core from CPU per request: graylane/nginx ${perCore('graylane', 'nginx proxy_pass').toFixed(3)} (goal ≥ 0.45); ` +
      `graylane/bare undici ${perCore('graylane', 'undici (bare)').toFixed(2)} (goal > 1); ${TWO_WORKERS}/nginx ${twoWorkersCpu.toFixed(2)} (from the tables' medians: its rounds run apart).`,
  );
  console.log(
    `Goals, p99 at half of graylane's peak: graylane − nginx = ${p99Above('graylane', 'nginx proxy_pass').toFixed(3)} ms (goal ≤ 1.5 ms); ` +
      `${TWO_WORKERS} − nginx = ${p99Above(TWO_WORKERS, 'nginx proxy_pass').toFixed(3)} ms; graylane − bare undici = ${p99Above('graylane', 'undici (bare)').toFixed(3)} ms.`,
  );
  // Whether a goal is within reach of Node at all in this run, and how much of graylane's distance is its own.
  console.log(
    `Yardstick, paired the same way: ${MINIMAL}/nginx per core ${perCore(MINIMAL, 'nginx proxy_pass').toFixed(3)}, p99 ${MINIMAL} − nginx = ${p99Above(MINIMAL, 'nginx proxy_pass').toFixed(3)} ms; ` +
      `graylane/${MINIMAL} per core ${perCore('graylane', MINIMAL).toFixed(2)}, p99 graylane − ${MINIMAL} = ${p99Above('graylane', MINIMAL).toFixed(3)} ms.`,
  );
  console.log(
    `The same from the tables' medians: graylane/nginx per core ${(cpu('nginx proxy_pass') / cpu('graylane')).toFixed(3)}, graylane/bare undici ${(cpu('undici (bare)') / cpu('graylane')).toFixed(2)}; ` +
      `p99 graylane − nginx ${(p99('graylane') - p99('nginx proxy_pass')).toFixed(3)} ms.`,
  );
  console.log(`Peak req/s on one core: graylane/nginx ${(graylanePeak / nginxRps).toFixed(2)}.`);
  console.log(
    `Ceiling: node:http answering by itself (no upstream) reaches ${((peak.get(NODE_CEILING)?.rps ?? NaN) / nginxRps).toFixed(2)} of nginx's req/s ` +
      `(${(cpu('nginx proxy_pass') / cpu(NODE_CEILING)).toFixed(2)} per core); a Node proxy also pays for its upstream side, so it stays below that.`,
  );
  console.log('The machine is shared: absolute figures are noisy, compare the ratios of one run; CPU per request is the steadiest figure.');
}

try {
  await main();
} finally {
  for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  await sleep(100);
  rmSync(dir, { recursive: true, force: true });
}
