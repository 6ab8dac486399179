// What the dashboard shows about rollouts, from the routing table's kept versions and the stored
// figures: pure functions, so the shapes are tested without NATS or ClickHouse.
import { rolloutHistory, type HistoryEntryV1, type ReportV2, type RolloutRecordV1, type RolloutState, type TableVersion } from '@graylane/contracts';
import type { StoredVerdict } from '../store/verdict-store.js';

/** One side of a rollout over the overview's window. */
export interface SideFigures {
  version: string;
  requests: number;
  errorRate: number;
  /** Null without requests: no traffic is not a latency of 0. */
  p99Ms: number | null;
}

/** The step plan and where the rollout stands in it. */
export interface StepPlan {
  steps: { weight: number; pause?: string }[];
  /** Position in `steps`, or null when the rollout is not on a step (no plan, or done). */
  index: number | null;
  startedAt: string | null;
}

/** One row of the overview. */
export interface RolloutSummary {
  name: string;
  state: RolloutState;
  weight: number;
  step: StepPlan;
  configVersion: number;
  updatedAt: string;
  updatedBy: string;
  reason: string | null;
  stable: SideFigures | null;
  canary: SideFigures | null;
  lastVerdict: { outcome: string; action: string; reason: string; evaluatedAt: string } | null;
}

/** The body of `GET /api/v1/overview`. */
export interface OverviewV1 {
  configVersion: number;
  /** The window of the P99 and error-rate figures. */
  sinceSeconds: number;
  rollouts: RolloutSummary[];
}

/** The weight from one config version on. */
export interface WeightPoint {
  atMs: number;
  version: number;
  weight: number;
  state: RolloutState | 'deleted';
}

/** The body of `GET /api/v1/rollouts/:name/timeline`. */
export interface TimelineV1 {
  rollout: string;
  configVersion: number;
  current: RolloutSummary['step'] & { state: RolloutState | 'deleted'; weight: number };
  /** Oldest first: the weight line. */
  weights: WeightPoint[];
  /** Newest first, with who, why and the field diff: the history table and the change markers. */
  history: HistoryEntryV1[];
}

/** The step plan of `record`: the step index is meaningful only while progressing or paused. */
export function stepPlanOf(record: RolloutRecordV1): StepPlan {
  const steps = (record.spec.steps ?? []).map((step) => ({ weight: step.weight, ...(step.pause === undefined ? {} : { pause: step.pause }) }));
  const onPlan = record.step !== undefined && (record.state === 'progressing' || record.state === 'paused');
  return { steps, index: onPlan ? (record.step?.index ?? null) : null, startedAt: onPlan ? (record.step?.startedAt ?? null) : null };
}

/** The overview row of one rollout. */
export function summaryOf(record: RolloutRecordV1, configVersion: number, report: ReportV2 | undefined, verdict: StoredVerdict | undefined): RolloutSummary {
  return {
    name: record.name,
    state: record.state,
    weight: record.spec.traffic.weight,
    step: stepPlanOf(record),
    configVersion,
    updatedAt: record.updatedAt,
    updatedBy: record.updatedBy,
    reason: record.reason ?? null,
    stable: sideOf(report, 'stable'),
    canary: sideOf(report, 'canary'),
    lastVerdict: verdict === undefined ? null : { outcome: verdict.outcome, action: verdict.action, reason: verdict.reason, evaluatedAt: verdict.evaluatedAt },
  };
}

/** The side's figures in the window: with two versions of a pool in it, the one with most requests. */
function sideOf(report: ReportV2 | undefined, pool: 'stable' | 'canary'): SideFigures | null {
  const pools = (report?.pools ?? []).filter((p) => p.pool === pool).sort((a, b) => b.requests - a.requests);
  const top = pools[0];
  if (top === undefined) return null;
  return { version: top.version, requests: top.requests, errorRate: top.errorRate, p99Ms: top.requests > 0 ? top.p99Ms : null };
}

/**
 * The weight line and the history of rollout `name` over the kept table versions (oldest first
 * in). The weight line has a point per version that changed the rollout, at the time of the change.
 */
export function timelineOf(versions: readonly TableVersion[], name: string, configVersion: number): TimelineV1 | undefined {
  const history = rolloutHistory([...versions], name, versions.length);
  if (history.length === 0) return undefined;
  const records = new Map(versions.map((v) => [v.version, v.table?.rollouts[name]]));
  const weights: WeightPoint[] = [...history].reverse().map((entry) => ({
    atMs: Date.parse(entry.at),
    version: entry.version,
    weight: entry.state === 'deleted' ? 0 : (records.get(entry.version)?.spec.traffic.weight ?? 0),
    state: entry.state,
  }));
  const latest = records.get(history[0]?.version ?? -1);
  const plan = latest === undefined ? { steps: [], index: null, startedAt: null } : stepPlanOf(latest);
  return {
    rollout: name,
    configVersion,
    current: { ...plan, state: history[0]?.state ?? 'deleted', weight: latest?.spec.traffic.weight ?? 0 },
    weights,
    history,
  };
}
