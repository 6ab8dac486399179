/** One measured subject of a benchmark and its figures, by column name. */
export interface BenchRow {
  name: string;
  values: Record<string, number>;
}

/**
 * Prints rows as an aligned table, with a `ratio` column per metric against the `baseline` row,
 * because absolute figures on a shared machine mean little on their own.
 */
export function printTable(title: string, rows: BenchRow[], options: { baseline?: string; columns: string[]; digits?: number }): void {
  const base = rows.find((row) => row.name === options.baseline);
  const headers = ['', ...options.columns.flatMap((c) => (base === undefined ? [c] : [c, `${c} ratio`]))];
  const body = rows.map((row) => [
    row.name,
    ...options.columns.flatMap((c) => {
      const value = row.values[c];
      const shown = value === undefined ? '-' : value.toFixed(options.digits ?? 2);
      if (base === undefined) return [shown];
      const ref = base.values[c];
      return [shown, value === undefined || ref === undefined || ref === 0 ? '-' : (value / ref).toFixed(2)];
    }),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padStart(i === 0 ? 0 : (widths[i] ?? 0)).padEnd(i === 0 ? (widths[0] ?? 0) : 0)).join('  ');
  console.log(`\n${title}`);
  console.log(line(headers));
  for (const row of body) console.log(line(row));
}
