import type { ForwardOutcome } from './forwarder.js';

/** Upper bounds of the latency histogram, in seconds (Prometheus `le`). */
export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Status class labels by first digit, made once: a template string per request is garbage per request. */
const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx', '6xx', '7xx', '8xx', '9xx'];

/** The `code` label of a finished request: status class or failure kind. */
function codeOf(outcome: ForwardOutcome): string {
  if ('failure' in outcome) return outcome.failure;
  return STATUS_CLASSES[Math.floor(outcome.status / 100)] ?? `${Math.floor(outcome.status / 100)}xx`;
}

interface PoolStats {
  byCode: Map<string, number>;
  /** Cumulative-free counts per bucket; the last slot is +Inf. */
  buckets: number[];
  sumSeconds: number;
  count: number;
}

/**
 * Process-lifetime counters of forwarded requests for Prometheus: per pool, count by code and a
 * fixed-bucket latency histogram. Bounded by the number of pool names in the config.
 */
export class RequestStats {
  readonly pools = new Map<string, PoolStats>();

  /** Records one finished request. */
  record(pool: string, outcome: ForwardOutcome, elapsedMs: number): void {
    let stats = this.pools.get(pool);
    if (stats === undefined) {
      stats = { byCode: new Map(), buckets: new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0), sumSeconds: 0, count: 0 };
      this.pools.set(pool, stats);
    }
    const code = codeOf(outcome);
    stats.byCode.set(code, (stats.byCode.get(code) ?? 0) + 1);
    const seconds = elapsedMs / 1000;
    let slot = 0;
    while (slot < LATENCY_BUCKETS_S.length && seconds > (LATENCY_BUCKETS_S[slot] as number)) slot += 1;
    stats.buckets[slot] = (stats.buckets[slot] ?? 0) + 1;
    stats.sumSeconds += seconds;
    stats.count += 1;
  }
}
