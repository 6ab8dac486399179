/** Where a command writes; tests pass their own. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** The terminal's width in characters when `out` goes to one; undefined for a pipe or file. */
  readonly columns?: number | undefined;
}

export const consoleOutput: Output = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  get columns() {
    return process.stdout.isTTY ? process.stdout.columns : undefined;
  },
};

/** The width wide tables fit in when the output is no terminal (a pipe, a file, CI logs). */
export const DEFAULT_COLUMNS = 120;

// `graylane status | head` closes the pipe early; that is the reader's choice, not a failure.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

/** Rows as an aligned plain-text table with a header line. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
