/**
 * The part of a run's log an assistant needs, read from the log stream without keeping
 * it: the lines around the first error (a few before it, more after), or the last lines.
 * Memory stays at the lines asked for however long the log is, and reading stops once
 * the excerpt is complete. The log is the server's `format=text` answer, already
 * redacted by the server (docs/mintmaker-logs.md).
 */
import { LineSplitter, levelOf, sectionOf } from '../domain/log-lines.js';

export interface ExcerptRequest {
  /** `error`: around the first error (the last lines when there is none); `tail`: the last lines. */
  mode: 'error' | 'tail';
  /** How many lines at most. */
  lines: number;
  /** Longer lines are cut, saying by how much. */
  maxLineChars: number;
}

export interface Excerpt {
  mode: 'error' | 'tail';
  /** The line number (1-based) of `lines[0]`. */
  from: number;
  lines: string[];
  /** The line number of the first error, when one was found. */
  firstError?: number;
  /** The step (`task/step`) the excerpt's first error, or its last line, is in. */
  step?: string;
  /** Lines read; the whole log when `complete`. */
  linesRead: number;
  /** False when reading stopped once the excerpt was complete. */
  complete: boolean;
}

const PLAIN_ERROR = /\b(error|fatal|failed|panic)\b/i;

/** Whether a line reports an error: by its Renovate level if it has one, else by its words. */
export function isErrorLine(line: string): boolean {
  const level = levelOf(line);
  if (level !== undefined) return level === 'error' || level === 'fatal';
  return PLAIN_ERROR.test(line) && !line.startsWith('==> ');
}

export async function excerptOf(
  log: ReadableStream<Uint8Array>,
  request: ExcerptRequest,
): Promise<Excerpt> {
  const size = Math.max(1, request.lines);
  const before = Math.floor(size / 3);
  const cap = (line: string) =>
    line.length <= request.maxLineChars
      ? line
      : `${line.slice(0, request.maxLineChars)}… [${line.length - request.maxLineChars} more characters]`;
  const ring: string[] = [];
  let read = 0;
  let step: string | undefined;
  let found: { at: number; from: number; lines: string[]; step?: string } | undefined;
  const splitter = new LineSplitter((line) => {
    read += 1;
    const header = line.startsWith('==> ') ? sectionOf(line) : undefined;
    if (header) step = header;
    if (found) {
      if (found.lines.length < size) found.lines.push(cap(line));
      return;
    }
    ring.push(cap(line));
    if (ring.length > size) ring.shift();
    if (request.mode === 'error' && !header && isErrorLine(line)) {
      const kept = ring.slice(-(before + 1));
      found = { at: read, from: read - kept.length + 1, lines: kept, ...(step ? { step } : {}) };
    }
  });
  const reader = log.pipeThrough(new TextDecoderStream()).getReader();
  let complete = true;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    splitter.push(value);
    if (found && found.lines.length >= size) {
      complete = false;
      await reader.cancel();
      break;
    }
  }
  if (complete) splitter.end();
  if (found) {
    return {
      mode: 'error',
      from: found.from,
      lines: found.lines.slice(0, size),
      firstError: found.at,
      ...(found.step ? { step: found.step } : {}),
      linesRead: read,
      complete,
    };
  }
  return {
    mode: 'tail',
    from: read - ring.length + 1,
    lines: ring,
    ...(step ? { step } : {}),
    linesRead: read,
    complete,
  };
}
