/**
 * Redaction of secrets in run logs, before anything is stored or served: what a rule of
 * the built-in table (redaction-rules.ts: cloud keys, forge, registry and chat tokens,
 * JWTs, private key blocks, URL credentials, secrets assigned to secret names) or a
 * configured pattern matches becomes `**REDACTED**`. Defence in depth behind MintMaker's
 * own sanitizer, not a replacement for it.
 *
 * Logs are redacted line by line (redaction-line.ts), so a stream never holds more than
 * one line (bounded by `maxLineBytes`); a private key block spanning lines is tracked
 * across them. A stream's bytes are first searched with WebAssembly SIMD
 * (redaction-candidates.ts, trigram-scan.ts) for where a rule's anchor could be; only the
 * lines found there are decoded and rewritten (redact-stream.ts). A line is only checked
 * against the rules whose anchors it holds, so `text()` and `stream()` hide the same (a
 * property test holds them to it).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Transform } from 'node:stream';
import { InputError } from '../domain/errors.js';
import { redactingStream } from './redact-stream.js';
import { trigramScan } from './redaction-candidates.js';
import { lineRedaction, type LineState } from './redaction-line.js';

export { REDACTED } from './redaction-line.js';
export { TRIGRAMS } from './redaction-candidates.js';

export interface Redactor {
  /** Redacts one line (no line break inside). `inKey` carries a key block across lines. */
  line(text: string, state: LineState): string;
  /** Redacts a whole text. */
  text(text: string): string;
  /** A transform redacting a byte stream of UTF-8 text line by line. */
  stream(maxLineBytes?: number): Transform;
  /**
   * Names this exact rule set (built-in rules and extra patterns): text redacted under the
   * same fingerprint needs no second pass.
   */
  readonly fingerprint: string;
}

/** Bump when a built-in rule changes, so archives redacted before are redacted again. */
const BUILTIN_VERSION = 'kite-redact-2';

/** `extra`: additional regular expressions (sources); each match becomes `**REDACTED**`. */
export function createRedactor(extra: readonly string[] = []): Redactor {
  // At start, so that a runtime without WebAssembly SIMD fails here, not while serving.
  const scan = trigramScan();
  const redaction = lineRedaction(extra);
  return {
    fingerprint: createHash('sha256')
      .update([BUILTIN_VERSION, ...extra].join('\n'))
      .digest('hex')
      .slice(0, 16),
    line: redaction.line,
    text(text) {
      const state = { inKey: false };
      return text
        .split('\n')
        .map((l) => redaction.line(l, state))
        .join('\n');
    },
    stream(maxLineBytes = 1024 * 1024) {
      return redactingStream(redaction, {
        scan,
        everyLine: extra.length > 0,
        maxLineBytes,
      });
    },
  };
}

/** Reads extra patterns (one regular expression per line; `#` comments), checked at start. */
export async function loadRedactPatterns(file: string | undefined): Promise<string[]> {
  if (!file) return [];
  const lines = (await readFile(file, 'utf8'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const [index, source] of lines.entries()) {
    try {
      new RegExp(source, 'g');
    } catch (error) {
      throw new InputError(
        `${file}: pattern ${index + 1} is not a regular expression: ${(error as Error).message}`,
      );
    }
  }
  return lines;
}
