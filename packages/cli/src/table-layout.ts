/** How {@link fitTable} lays a table out. */
export interface FitOptions {
  /** The width to fit in, in characters (a terminal's columns). */
  readonly width: number;
  /** Columns whose cells wrap to share the width left by the others; the others keep their natural width. */
  readonly wrap: readonly number[];
  /** Lines a wrapped cell line may take before it is cut with `…`. Default 2. */
  readonly maxLinesPerItem?: number;
}

/** Narrowest a wrapped column gets, however small the terminal: below that nothing reads. */
const MIN_WRAP_WIDTH = 12;
const GAP = '  ';

/**
 * Rows as an aligned plain-text table that fits `width`: the `wrap` columns share what the other
 * columns leave, each of their cell's lines (`\n` separates items, such as one diff change per
 * line) wraps at spaces onto at most `maxLinesPerItem` lines and is cut with `…` beyond. A row
 * then takes several lines, its other cells on the first. `cut` says whether anything was cut,
 * so the caller can point to the whole text.
 */
export function fitTable(headers: string[], rows: string[][], options: FitOptions): FittedTable {
  const natural = headers.map((header, i) => Math.max(header.length, ...rows.flatMap((row) => (row[i] ?? '').split('\n').map((line) => line.length))));
  const widths = wrapWidths(natural, options);
  const maxLines = options.maxLinesPerItem ?? 2;
  let cut = false;
  const render = (cells: string[]): string[] => {
    const columns = headers.map((_header, i) => {
      const cell = cells[i] ?? '';
      if (!options.wrap.includes(i)) return [cell];
      return cell.split('\n').flatMap((item) => {
        const lines = wrapLine(item, widths[i] ?? MIN_WRAP_WIDTH);
        if (lines.length <= maxLines) return lines;
        cut = true;
        const kept = lines.slice(0, maxLines);
        const last = kept[maxLines - 1] ?? '';
        kept[maxLines - 1] = `${last.slice(0, Math.max(0, (widths[i] ?? MIN_WRAP_WIDTH) - 1))}…`;
        return kept;
      });
    });
    const height = Math.max(1, ...columns.map((lines) => lines.length));
    const out: string[] = [];
    for (let line = 0; line < height; line++) {
      out.push(
        columns
          .map((lines, i) => (lines[line] ?? '').padEnd(widths[i] ?? 0))
          .join(GAP)
          .trimEnd(),
      );
    }
    return out;
  };
  const header = render(headers).join('\n');
  const body = rows.map((row) => render(row).join('\n'));
  return { header, rows: body, text: [header, ...body].join('\n'), cut };
}

/** A fitted table: its header and each row as text (a row may take several lines), and both joined. */
export interface FittedTable {
  readonly header: string;
  readonly rows: readonly string[];
  readonly text: string;
  /** Whether some cell was cut to fit. */
  readonly cut: boolean;
}

/** `text` on one line of at most `width`, cut with `…`; `cut` says whether it was. */
export function fitLine(text: string, width: number): { line: string; cut: boolean } {
  if (text.length <= width) return { line: text, cut: false };
  return { line: `${text.slice(0, Math.max(0, width - 1))}…`, cut: true };
}

/** Column widths: the fixed columns' natural ones, the wrapped ones sharing the rest (water-filling). */
function wrapWidths(natural: number[], options: FitOptions): number[] {
  const widths = [...natural];
  const fixed = natural.reduce((sum, width, i) => (options.wrap.includes(i) ? sum : sum + width), 0);
  let left = options.width - fixed - GAP.length * (natural.length - 1);
  // Narrow columns keep their natural width; the wider ones split what remains evenly.
  let open = [...options.wrap].sort((a, b) => (natural[a] ?? 0) - (natural[b] ?? 0));
  while (open.length > 0) {
    const share = Math.floor(left / open.length);
    const column = open[0] as number;
    const want = natural[column] ?? 0;
    if (want <= share) {
      widths[column] = want;
      left -= want;
      open = open.slice(1);
      continue;
    }
    for (const rest of open) widths[rest] = Math.max(MIN_WRAP_WIDTH, share);
    break;
  }
  return widths;
}

/** `text` broken into lines of at most `width`, at the last space that fits, else mid-word. */
export function wrapLine(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width);
    const at = space > 0 ? space : width;
    lines.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  lines.push(rest);
  return lines;
}
