/**
 * `-o/--output`: a table for people (`table`, `wide`), or the API's own JSON for scripts
 * (`json`, `yaml`, `jsonpath=…`), or `name` (`issue/<id>`, one a line, like kubectl).
 * Everything goes to stdout; nothing decorative is printed when it is piped.
 */
import { Option } from 'commander';
import { renderJsonPath } from './jsonpath.js';
import { renderTable, terminal, type Column } from './table.js';
import { usageError } from './failure.js';

export type Format =
  { kind: 'table' | 'wide' | 'json' | 'yaml' | 'name' } | { kind: 'jsonpath'; template: string };

export const FORMATS = ['table', 'wide', 'json', 'yaml', 'name', 'jsonpath=…'];

export const outputOption = () =>
  new Option('-o, --output <format>', `output format: ${FORMATS.join(', ')}`).default('table');

export function parseFormat(value: string | undefined): Format {
  const text = value ?? 'table';
  const jsonpath = /^jsonpath=(.*)$/s.exec(text);
  if (jsonpath) {
    if (!jsonpath[1]) throw usageError('-o jsonpath= needs a template, e.g. jsonpath={.id}');
    return { kind: 'jsonpath', template: jsonpath[1] };
  }
  if (
    text === 'table' ||
    text === 'wide' ||
    text === 'json' ||
    text === 'yaml' ||
    text === 'name'
  ) {
    return { kind: text };
  }
  throw usageError(`-o ${text}: unknown output format; use one of ${FORMATS.join(', ')}`);
}

export interface Printable<T> {
  /** What json, yaml and jsonpath print: the API's answer. */
  data: unknown;
  /** The rows of a table. */
  rows: readonly T[];
  columns: readonly Column<T>[];
  /** `kind/name` of a row, for `-o name`. */
  name(row: T): string;
}

/** Prints in the chosen format. */
export async function print<T>(format: Format, what: Printable<T>): Promise<void> {
  write(await render(format, what));
}

/** The text of `what` in `format` (each line ending in a newline; empty for no rows). */
export async function render<T>(format: Format, what: Printable<T>): Promise<string> {
  switch (format.kind) {
    case 'json':
      return `${JSON.stringify(what.data, null, 2)}\n`;
    case 'yaml': {
      const { stringify } = await import('yaml');
      return stringify(what.data);
    }
    case 'jsonpath':
      return renderJsonPath(format.template, what.data);
    case 'name':
      return what.rows.map((row) => `${what.name(row)}\n`).join('');
    default: {
      if (what.rows.length === 0) return '';
      const lines = renderTable(what.rows, what.columns, {
        wide: format.kind === 'wide',
        term: terminal(),
      });
      return lines.map((line) => `${line}\n`).join('');
    }
  }
}

export function write(text: string): void {
  if (text) process.stdout.write(text);
}

/** A note for people (e.g. "No issues found"): to stderr, so stdout stays the data. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** How a kind of item is shown: its columns and its `kind/name`. */
export type View<T> = Pick<Printable<T>, 'columns' | 'name'>;

/** Prints one item as the API gave it. */
export async function printOne<T>(format: Format, item: T, view: View<T>): Promise<void> {
  await print(format, { data: item, rows: [item], ...view });
}

/**
 * Prints a page of `kind` (e.g. "silences"); for people, an empty page says "No silences
 * found" and in which namespace, if one was asked for.
 */
export async function printPage<T>(
  format: Format,
  page: { data: readonly T[] },
  kind: string,
  namespace: string | undefined,
  view: View<T>,
): Promise<void> {
  if (page.data.length === 0 && (format.kind === 'table' || format.kind === 'wide')) {
    note(namespace ? `No ${kind} found in ${namespace}.` : `No ${kind} found.`);
  }
  await print(format, { data: page, rows: page.data, ...view });
}
