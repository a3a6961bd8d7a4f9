/**
 * The log as text, without the DOM (unit-tested in test/unit/log-text.test.ts): search
 * within a log (lines, step headers and levels come from src/domain/log-lines.ts): which
 * lines hold the text (case-insensitive), found incrementally
 * as lines arrive (each line is looked at once per query), and a line cut into the parts
 * to highlight. The text is matched literally, never as a pattern.
 */
export interface Matches {
  query: string;
  /** Line indexes holding the text, ascending. */
  lines: number[];
  scanned: number;
}

export const noMatches = (query = ''): Matches => ({ query, lines: [], scanned: 0 });

/** `previous` brought up to date with `lines` for `query` (a new object when it grew). */
export function updateMatches(previous: Matches, query: string, lines: string[]): Matches {
  const base = previous.query === query ? previous : noMatches(query);
  if (!query || base.scanned >= lines.length) return base;
  const needle = query.toLowerCase();
  const found = base.lines.slice();
  for (let i = base.scanned; i < lines.length; i++) {
    if (lines[i]!.toLowerCase().includes(needle)) found.push(i);
  }
  return { query, lines: found, scanned: lines.length };
}

/** The index in `matches` of the first match after (or before) `line`, wrapping around. */
export function nextMatch(matches: number[], line: number, direction: 1 | -1): number {
  if (matches.length === 0) return -1;
  if (direction === 1) {
    const i = matches.findIndex((m) => m > line);
    return i === -1 ? 0 : i;
  }
  for (let i = matches.length - 1; i >= 0; i--) if (matches[i]! < line) return i;
  return matches.length - 1;
}

export interface Part {
  text: string;
  hit: boolean;
}

/** A line cut around every occurrence of `query` (case-insensitive). */
export function splitHits(line: string, query: string): Part[] {
  if (!query) return [{ text: line, hit: false }];
  const lower = line.toLowerCase();
  const needle = query.toLowerCase();
  const parts: Part[] = [];
  let from = 0;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, from)) {
    if (at > from) parts.push({ text: line.slice(from, at), hit: false });
    parts.push({ text: line.slice(at, at + needle.length), hit: true });
    from = at + needle.length;
  }
  if (from < line.length || parts.length === 0) parts.push({ text: line.slice(from), hit: false });
  return parts;
}

export { LineSplitter, levelOf, sectionOf } from '../../../src/domain/log-lines.js';
