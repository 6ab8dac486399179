import { GraylaneError, parseDuration } from '@graylane/contracts';
import type { CliArgs } from '../args.js';
import type { ControlPlaneClient } from '../control-plane-client.js';
import { formatTable, type Output } from '../output.js';
import type { CliCommand } from './cli-command.js';
import { verdictLines } from './report-verdicts.js';

export async function reportCommand(client: ControlPlaneClient, args: CliArgs, output: Output): Promise<void> {
  const [name] = args.positionals;
  if (name === undefined) throw new GraylaneError('GRAYLANE_VALIDATION', 'usage: graylane report NAME [--since 15m]');
  let sinceMs: number;
  try {
    sinceMs = parseDuration(args.since);
  } catch (error) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `--since: ${(error as Error).message}`, { field: '--since' });
  }
  const report = await client.report({ name, sinceSeconds: Math.max(1, Math.round(sinceMs / 1000)) });
  if (args.json) return output.out(JSON.stringify(report));
  if (report.pools.length === 0) {
    output.out(`no traffic recorded for rollout ${name} in the last ${args.since}`);
    return;
  }
  output.out(`rollout ${name}, last ${args.since}`);
  output.out(
    formatTable(
      ['POOL', 'VERSION', 'REQUESTS', 'ERRORS', 'ERROR RATE', 'P50 ms', 'P95 ms', 'P99 ms', 'P99.9 ms'],
      report.pools.map((p) => [
        p.pool,
        p.version,
        String(p.requests),
        String(p.errors),
        `${(p.errorRate * 100).toFixed(2)}%`,
        p.p50Ms.toFixed(2),
        p.p95Ms.toFixed(2),
        p.p99Ms.toFixed(2),
        p.p999Ms.toFixed(2),
      ]),
    ),
  );
  for (const line of verdictLines(report.verdicts)) output.out(line);
}

/** The verbs of this file, in the order `graylane --help` lists them. */
export const REPORT_VERBS: readonly CliCommand[] = [
  { verb: 'report', synopsis: 'NAME [--since 15m]', summary: 'requests, error rate and P50/P95/P99 per pool', client: reportCommand },
];
