import { readFileSync } from 'node:fs';
import type { PrometheusFamily } from './prometheus-text.js';

/** One row of the table in docs/metrics.md. */
export interface DocumentedMetric {
  readonly name: string;
  readonly type: string;
  readonly labels: readonly string[];
  readonly process: string;
}

/** The repository's docs/metrics.md, from this package's place in the workspace (src/ or dist/). */
export const METRICS_DOC = new URL('../../../docs/metrics.md', import.meta.url);

/** The rows of the metrics table (`| name | type | labels | process | meaning |`) in `markdown`. */
export function documentedMetrics(markdown: string = readFileSync(METRICS_DOC, 'utf8')): DocumentedMetric[] {
  const rows: DocumentedMetric[] = [];
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    // A row: empty before the first pipe, the name in backticks.
    const name = /^`([a-zA-Z_:][a-zA-Z0-9_:]*)`$/.exec(cells[1] ?? '')?.[1];
    if (name === undefined || cells.length < 6) continue;
    const labels = [...(cells[3] ?? '').matchAll(/`([a-zA-Z_][a-zA-Z0-9_]*)`/g)].map((match) => match[1] as string);
    rows.push({ name, type: cells[2] ?? '', labels, process: cells[4] ?? '' });
  }
  return rows;
}

/**
 * What differs between the families a process exposes and the documented rows of `processes`:
 * a family the table lacks, a documented one not exposed, another type, or a sample label the
 * table does not name (`le` and `ignoreLabels`, such as the primary's `worker`, aside). Empty
 * when they agree.
 */
export function differencesFromDoc(
  families: ReadonlyMap<string, PrometheusFamily>,
  processes: readonly string[],
  options: { ignoreLabels?: readonly string[]; documented?: readonly DocumentedMetric[] } = {},
): string[] {
  const documented = (options.documented ?? documentedMetrics()).filter((row) => processes.includes(row.process));
  const ignored = new Set(['le', ...(options.ignoreLabels ?? [])]);
  const problems: string[] = [];
  for (const family of families.values()) {
    const row = documented.find((candidate) => candidate.name === family.name);
    if (row === undefined) {
      problems.push(`${family.name} is exposed but not in docs/metrics.md for ${processes.join(' or ')}`);
      continue;
    }
    if (row.type !== family.type) problems.push(`${family.name} is a ${family.type}, documented as ${row.type}`);
    for (const sample of family.samples) {
      for (const label of Object.keys(sample.labels)) {
        if (!ignored.has(label) && !row.labels.includes(label)) problems.push(`${family.name} has label ${label}, not documented`);
      }
    }
  }
  for (const row of documented) if (!families.has(row.name)) problems.push(`${row.name} is documented for ${row.process} but not exposed`);
  return [...new Set(problems)];
}
