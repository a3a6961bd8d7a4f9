/**
 * Tables for people, the way kubectl prints them: upper-case headers, columns padded to
 * their widest cell and three spaces apart, the flexible column (a title) cut with "…" so
 * a row fits the terminal, relative ages, and severity colours on a terminal only
 * (never when piped, with NO_COLOR set, or TERM=dumb).
 */

export interface Column<T> {
  header: string;
  value(row: T): string;
  /** Shown with `-o wide` only. */
  wide?: boolean;
  /** The column cut to fit the terminal width (at most one per table). */
  flex?: boolean;
  /** An SGR colour code for the cell (e.g. "31" red); used on a terminal only. */
  colour?(row: T): string | undefined;
}

export interface Terminal {
  /** The width to fit; undefined when not a terminal (nothing is cut). */
  columns?: number;
  colour: boolean;
}

/** What stdout is: a terminal's width and whether colours may be used. */
export function terminal(
  stream: { isTTY?: boolean; columns?: number } = process.stdout,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Terminal {
  if (!stream.isTTY) return { colour: false };
  const colour = env.NO_COLOR === undefined || env.NO_COLOR === '' ? env.TERM !== 'dumb' : false;
  return { columns: stream.columns || 80, colour };
}

const GAP = '   ';
const MIN_FLEX = 10;

/** The table's lines (header first); an empty table prints nothing. */
export function renderTable<T>(
  rows: readonly T[],
  allColumns: readonly Column<T>[],
  options: { wide?: boolean; term: Terminal },
): string[] {
  const columns = allColumns.filter((c) => options.wide || !c.wide);
  const cells = rows.map((row) => columns.map((c) => oneLine(c.value(row))));
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((line) => line[i]!.length)),
  );
  const flex = columns.findIndex((c) => c.flex);
  const { columns: width } = options.term;
  if (width !== undefined && flex >= 0) {
    const others = widths.reduce((sum, w, i) => (i === flex ? sum : sum + w), 0);
    const room = width - others - GAP.length * (columns.length - 1);
    widths[flex] = Math.max(Math.min(widths[flex]!, room), MIN_FLEX, columns[flex]!.header.length);
  }
  const line = (texts: string[], colours: (string | undefined)[]) =>
    texts
      .map((text, i) => {
        const fitted = fit(text, widths[i]!);
        const padded = i === texts.length - 1 ? fitted : fitted.padEnd(widths[i]!);
        const code = colours[i];
        return code && options.term.colour ? `\x1b[${code}m${padded}\x1b[0m` : padded;
      })
      .join(GAP)
      .trimEnd();
  return [
    line(
      columns.map((c) => c.header),
      [],
    ),
    ...rows.map((row, r) =>
      line(
        cells[r]!,
        columns.map((c) => c.colour?.(row)),
      ),
    ),
  ];
}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ');
const fit = (text: string, width: number) =>
  text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;

/** SGR codes by severity: critical bold red, major red, minor yellow, info cyan. */
export const SEVERITY_COLOURS: Readonly<Record<string, string>> = {
  critical: '1;31',
  major: '31',
  minor: '33',
  info: '36',
};

/** kubectl's relative age: 45s, 12m, 5h, 3d, 2y (the largest unit that fits). */
export function age(at: string | null | undefined, now = Date.now()): string {
  if (!at) return '<none>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(at)) / 1000));
  if (Number.isNaN(seconds)) return '<invalid>';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  return days < 730 ? `${days}d` : `${Math.floor(days / 365)}y`;
}
