/**
 * A byte stream of UTF-8 text redacted line by line (redact.ts `stream()`): it never
 * holds more than one line (bounded by `maxLineBytes`), and only the lines where the
 * trigram scan finds a candidate (redaction-candidates.ts) are decoded and rewritten.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { CANDIDATES, CONFIRM_WINDOW, URL_ANCHORS } from './redaction-candidates.js';
import { USERINFO_BYTES, type LineRedaction } from './redaction-line.js';
import type { TrigramScan } from './trigram-scan.js';

const EMPTY: Buffer = Buffer.alloc(0);

export interface StreamOptions {
  scan: TrigramScan;
  /** Extra patterns are configured: they may match anything, so every line is decoded. */
  everyLine: boolean;
  maxLineBytes: number;
}

export function redactingStream(
  { block: redactBlock, line }: LineRedaction,
  { scan, everyLine, maxLineBytes }: StreamOptions,
): Transform {
  const state = { inKey: false };
  let pending = EMPTY;
  /**
   * Redacts complete lines (bytes ending with a line break). Every built-in rule is
   * ASCII, which UTF-8 never uses inside a multi-byte character, so the bytes are
   * searched as they are: the trigram scan reports where a candidate may be, each
   * report is confirmed on the Latin-1 text of its line (byte offsets = character
   * offsets), and only the lines holding a candidate are decoded and redacted; the
   * bytes between pass through as they are. Extra patterns may match anything: with
   * them, the whole block is decoded and redacted.
   */
  const block = (bytes: Buffer): Buffer[] => {
    if (everyLine) {
      const text = bytes.toString('utf8');
      if (!state.inKey && !text.includes('-----BEGIN ')) return [Buffer.from(redactBlock(text))];
      const lines = text.split('\n');
      lines.pop();
      return [Buffer.from(lines.map((l) => `${line(l, state)}\n`).join(''))];
    }
    const out: Buffer[] = [];
    let copied = 0;
    /** Redacts the line starting at `start`; returns where the next line starts. */
    const redactLine = (start: number): number => {
      const end = bytes.indexOf(0x0a, start);
      const original = bytes.toString('utf8', start, end);
      const redacted = line(original, state);
      if (redacted !== original) {
        out.push(bytes.subarray(copied, start), Buffer.from(`${redacted}\n`));
        copied = end + 1;
      }
      return end + 1;
    };
    let at = 0;
    while (state.inKey && at < bytes.length) at = redactLine(at);
    /** The line of the last report: [lineStart, lineEnd), lineEnd its line break. */
    let lineStart = 0;
    let lineEnd = -1;
    let lineText = '';
    scan(bytes, at, (position) => {
      if (position === lineEnd) return position + 1;
      if (position > lineEnd) {
        // Each line is searched for its ends once, however many reports it holds.
        lineStart = position === 0 ? 0 : bytes.lastIndexOf(0x0a, position - 1) + 1;
        lineEnd = bytes.indexOf(0x0a, position);
        lineText = bytes.toString('latin1', lineStart, lineEnd);
      }
      const offset = Math.max(0, position - lineStart - CONFIRM_WINDOW.before);
      const around = lineText.slice(offset, position - lineStart + CONFIRM_WINDOW.after);
      CANDIDATES.lastIndex = 0;
      for (let found = CANDIDATES.exec(around); found; found = CANDIDATES.exec(around)) {
        if (URL_ANCHORS.includes(found[0].toLowerCase())) {
          // A URL is a candidate only with credentials in it.
          USERINFO_BYTES.lastIndex = offset + found.index;
          if (!USERINFO_BYTES.test(lineText)) continue;
        }
        let next = redactLine(lineStart);
        while (state.inKey && next < bytes.length) next = redactLine(next);
        return next;
      }
      return position + 1;
    });
    if (copied === 0) return [bytes];
    out.push(bytes.subarray(copied));
    return out;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      let data = chunk;
      if (pending.length > 0) {
        // Only the line begun in the previous chunk is copied to complete it.
        const first = chunk.indexOf(0x0a);
        if (first < 0) {
          data = Buffer.concat([pending, chunk]);
        } else {
          for (const piece of block(Buffer.concat([pending, chunk.subarray(0, first + 1)])))
            this.push(piece);
          data = chunk.subarray(first + 1);
        }
        pending = EMPTY;
      }
      const end = data.lastIndexOf(0x0a);
      if (end >= 0) {
        for (const piece of block(data.subarray(0, end + 1))) this.push(piece);
        pending = data.subarray(end + 1);
      } else {
        pending = data;
      }
      // A line longer than the bound is redacted in pieces (no line break added),
      // cut where no UTF-8 character is split.
      while (pending.length > maxLineBytes) {
        let cut = maxLineBytes;
        while (cut > 0 && ((pending[cut] ?? 0) & 0xc0) === 0x80) cut -= 1;
        this.push(line(pending.subarray(0, cut).toString('utf8'), state));
        pending = pending.subarray(cut);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (pending.length > 0) this.push(line(pending.toString('utf8'), state));
      callback();
    },
  });
}
