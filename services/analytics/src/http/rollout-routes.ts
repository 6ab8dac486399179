import { GraylaneError } from '@graylane/contracts';
import type { FastifyInstance } from 'fastify';
import { summaryOf, timelineOf, type OverviewV1, type TimelineV1 } from '../dashboard/rollout-view.js';
import type { VersionedTable } from '../guardrails/routing-table-watch.js';
import type { ConfigHistorySource } from '../nats/config-history.js';
import type { ReportSource } from '../store/metrics-store.js';
import type { VerdictSource } from '../store/verdict-store.js';

/** The overview's P99 and error rate: the last minute, recent enough to watch, wide enough to be stable. */
export const OVERVIEW_SINCE_SECONDS = 60;
/** How far back the overview looks for a rollout's last verdict. */
const LAST_VERDICT_SINCE_SECONDS = 86_400;

export interface RolloutRouteDeps {
  table: () => VersionedTable | undefined;
  history: ConfigHistorySource;
  reports: ReportSource;
  verdicts: VerdictSource;
}

/**
 * `GET /api/v1/overview`: every rollout of the current routing table with its state, weight,
 * step, the last minute's figures per side and its last verdict. `GET /api/v1/rollouts/:name/timeline`:
 * its weight over the kept config versions, the step plan and the history with diffs.
 */
export function registerRolloutRoutes(app: FastifyInstance, deps: RolloutRouteDeps): void {
  app.get('/api/v1/overview', async (): Promise<OverviewV1> => {
    const latest = deps.table();
    const records = Object.values(latest?.table.rollouts ?? {}).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const version = latest?.version ?? 0;
    const rollouts = await Promise.all(
      records.map(async (record) => {
        const [report, verdicts] = await Promise.all([
          deps.reports.report(record.name, OVERVIEW_SINCE_SECONDS),
          deps.verdicts.verdicts(record.name, LAST_VERDICT_SINCE_SECONDS, 1),
        ]);
        return summaryOf(record, version, report, verdicts[0]);
      }),
    );
    return { configVersion: version, sinceSeconds: OVERVIEW_SINCE_SECONDS, rollouts };
  });

  app.get<{ Params: { name: string } }>('/api/v1/rollouts/:name/timeline', async (request): Promise<TimelineV1> => {
    const timeline = timelineOf(await deps.history.versions(), request.params.name, deps.table()?.version ?? 0);
    if (timeline === undefined) {
      throw new GraylaneError('GRAYLANE_NOT_FOUND', `no rollout "${request.params.name}" in the kept config versions`, { field: 'name' });
    }
    return timeline;
  });
}
