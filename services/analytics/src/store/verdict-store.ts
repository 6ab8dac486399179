import { parseWith, VerdictV1, VerdictV2, type ReportV2 } from '@graylane/contracts';
import type { ClickHouseClient } from './clickhouse.js';
import { verdictsSql } from './report-sql.js';
import { storeError, type ReportSource } from './metrics-store.js';

/** Where verdicts are kept and read back; the guardrail loop and the HTTP routes use this. */
export interface VerdictSource {
  /** Verdicts of `rollout` evaluated in the last `sinceSeconds`, newest first, at most `limit`. */
  verdicts(rollout: string, sinceSeconds: number, limit?: number): Promise<StoredVerdict[]>;
}

/** A verdict as stored: V2 from the sequential judge, V1 from before it (no `schema` field). */
export type StoredVerdict = VerdictV2 | VerdictV1;

/** Verdicts read back when a caller names no limit: a day of 10 s windows. */
export const DEFAULT_VERDICT_LIMIT = 1_000;

/** The `verdicts` table: every guardrail verdict, one row per rollout and window. */
export class VerdictStore implements VerdictSource {
  private readonly client: ClickHouseClient;
  private readonly database: string;
  private readonly now: () => Date;

  constructor(client: ClickHouseClient, database: string, now: () => Date = () => new Date()) {
    this.client = client;
    this.database = database;
    this.now = now;
  }

  /** Stores one verdict. A second write of the same rollout and window replaces the first. */
  async insert(verdict: VerdictV2): Promise<void> {
    await this.client.insert({
      table: `${this.database}.verdicts`,
      format: 'JSONEachRow',
      values: [
        {
          rollout: verdict.rollout,
          window_end_ms: verdict.window.endMs,
          window_start_ms: verdict.window.startMs,
          config_version: verdict.configVersion,
          evaluated_at: Math.floor(Date.parse(verdict.evaluatedAt) / 1000),
          outcome: verdict.outcome,
          action: verdict.action,
          body: JSON.stringify(verdict),
          schema: verdict.schema,
          tests: JSON.stringify(verdict.tests),
          max_e_value: Math.max(0, ...verdict.tests.map((t) => t.eValue)),
          evidence_since_ms: verdict.evidence.sinceMs,
          evidence_windows: verdict.evidence.windows,
        },
      ],
    });
  }

  async verdicts(rollout: string, sinceSeconds: number, limit = DEFAULT_VERDICT_LIMIT): Promise<StoredVerdict[]> {
    const fromMs = this.now().getTime() - sinceSeconds * 1000;
    try {
      const result = await this.client.query({
        query: verdictsSql(this.database, rollout, fromMs, limit),
        format: 'JSONEachRow',
      });
      const rows = await result.json<{ body: string }>();
      return rows.map((row) => parseStored(JSON.parse(row.body)));
    } catch (error) {
      throw storeError(error, `the verdict query for "${rollout}"`);
    }
  }
}

/** Reports that also carry the window's verdicts, so one call shows numbers and judgements. */
export function withVerdicts(reports: ReportSource, verdicts: VerdictSource): ReportSource {
  return {
    async report(name: string, sinceSeconds: number): Promise<ReportV2> {
      const [report, list] = await Promise.all([reports.report(name, sinceSeconds), verdicts.verdicts(name, sinceSeconds)]);
      return { ...report, verdicts: list };
    },
  };
}

function parseStored(body: unknown): StoredVerdict {
  const schema = (body as { schema?: unknown } | null)?.schema;
  return schema === undefined ? parseWith(VerdictV1, body, 'stored verdict') : parseWith(VerdictV2, body, 'stored verdict');
}
