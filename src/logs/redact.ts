/**
 * Redaction of secrets in run logs, before anything is stored or served: tokens of
 * GitHub and GitLab, bearer and basic credentials, private key blocks, registry auths,
 * passwords in URLs, and any configured pattern become `**REDACTED**`. Defence in depth
 * behind MintMaker's own sanitizer, not a replacement for it.
 *
 * Logs are redacted line by line, so a stream never holds more than one line (bounded by
 * `maxLineBytes`); a private key block spanning lines is tracked across them.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { InputError } from '../domain/errors.js';

export const REDACTED = '**REDACTED**';
const EMPTY: Buffer = Buffer.alloc(0);

interface Rule {
  pattern: RegExp;
  /** The replacement; `$1` keeps a prefix such as "Bearer ". */
  replace: string;
  /** Built-in rules only run on text where BUILTIN_ANCHORS matches. */
  builtin?: boolean;
}

const BUILTIN_RULES: readonly Rule[] = [
  // GitHub: classic and fine-grained tokens.
  {
    pattern: /\bgh[pousr]_[A-Za-z0-9]{20,255}\b/g,
    replace: REDACTED,
  },
  { pattern: /\bgithub_pat_[A-Za-z0-9_]{20,255}\b/g, replace: REDACTED },
  // GitLab: personal, project, group, deploy, runner, OAuth, … tokens.
  {
    pattern: /\bgl(?:pat|ptt|dt|rt|soat|cbt|imt|agent|oas|ft|wt)-[A-Za-z0-9_-]{20,}/g,
    replace: REDACTED,
  },
  // Authorization headers and the like.
  {
    pattern: /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
    replace: `$1${REDACTED}`,
  },
  {
    pattern: /\b(Basic\s+)[A-Za-z0-9+/]{8,}={0,2}/gi,
    replace: `$1${REDACTED}`,
  },
  // Registry auths and passwords in JSON or YAML-ish key/value text.
  {
    pattern:
      /("?(?:auth|password|passwd|token|secret|access_token|refresh_token|client_secret|api_key|apikey)"?\s*[:=]\s*"?)(?!\*\*REDACTED|Bearer\s|Basic\s)[^\s",}]{4,}/gi,
    replace: `$1${REDACTED}`,
  },
];

/**
 * Every match of a built-in rule contains one of these (case aside): a text without any
 * is left to the URL scan alone. One alternation of literals runs at over 1 GB/s here,
 * where the rules' own expressions, with their classes and quantifiers, would not.
 */
const BUILTIN_ANCHORS =
  /gh[pousr]_|github_pat_|gl(?:pat|ptt|dt|rt|soat|cbt|imt|agent|oas|ft|wt)-|bearer|basic|auth|passw|token|secret|api_?key/i;

/**
 * Where a built-in rule, a password in a URL or a private key block could start (case
 * aside). One scan of a stream finds these; only the lines around them are redacted.
 */
const CANDIDATES = new RegExp(`${BUILTIN_ANCHORS.source}|://|-----BEGIN `, 'gi');

/** user:password@ in URLs, found from each `://` (far faster than a regular expression scan). */
const USERINFO = /[^\s/:@]+:[^\s@/]+@/y;
/**
 * USERINFO on a Latin-1 view of UTF-8 bytes: only ASCII spaces end it, so that a byte of
 * a multi-byte character (0x85, 0xA0 read as spaces) cannot hide a password.
 */
const USERINFO_BYTES = /[^\t\n\v\f\r /:@]+:[^\t\n\v\f\r @/]+@/y;

function redactUrlPasswords(text: string): string {
  let at = text.indexOf('://');
  if (at < 0) return text;
  let out = '';
  let copied = 0;
  while (at >= 0) {
    USERINFO.lastIndex = at + 3;
    const match = USERINFO.exec(text);
    if (match) {
      const userEnd = at + 3 + match[0].indexOf(':') + 1;
      out += text.slice(copied, userEnd) + REDACTED + '@';
      copied = at + 3 + match[0].length;
    }
    at = text.indexOf('://', Math.max(at + 3, copied));
  }
  return out + text.slice(copied);
}

const KEY_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/;
const KEY_END = /-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/;

export interface Redactor {
  /** Redacts one line (no line break inside). `inKey` carries a key block across lines. */
  line(text: string, state: { inKey: boolean }): string;
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
const BUILTIN_VERSION = 'kite-redact-1';

/** `extra`: additional regular expressions (sources); each match becomes `**REDACTED**`. */
export function createRedactor(extra: readonly string[] = []): Redactor {
  const rules: Rule[] = [
    ...BUILTIN_RULES.map((rule) => ({ ...rule, builtin: true })),
    ...extra.map((source) => ({ pattern: new RegExp(source, 'g'), replace: REDACTED })),
  ];
  /** Every rule that could match somewhere in `text`, then the URL passwords. */
  const redactBlock = (text: string): string => {
    let out = text;
    const anchored = BUILTIN_ANCHORS.test(text);
    for (const rule of rules) {
      if (rule.builtin && !anchored) continue;
      out = out.replace(rule.pattern, rule.replace);
    }
    return redactUrlPasswords(out);
  };
  const line = (text: string, state: { inKey: boolean }): string => {
    if (state.inKey) {
      if (KEY_END.test(text)) {
        state.inKey = false;
        return text.replace(/^.*?(-----END)/, `${REDACTED}$1`);
      }
      return REDACTED;
    }
    const begin = KEY_BEGIN.exec(text);
    if (begin) {
      const after = text.slice(begin.index + begin[0].length);
      if (KEY_END.test(after)) {
        return (
          text.slice(0, begin.index + begin[0].length) +
          after.replace(/^.*?(-----END)/, `${REDACTED}$1`)
        );
      }
      state.inKey = true;
      return text.slice(0, begin.index + begin[0].length) + (after.length > 0 ? REDACTED : '');
    }
    return redactBlock(text);
  };
  return {
    fingerprint: createHash('sha256')
      .update([BUILTIN_VERSION, ...extra].join('\n'))
      .digest('hex')
      .slice(0, 16),
    line,
    text(text) {
      const state = { inKey: false };
      return text
        .split('\n')
        .map((l) => line(l, state))
        .join('\n');
    },
    stream(maxLineBytes = 1024 * 1024) {
      const state = { inKey: false };
      let pending = EMPTY;
      /**
       * Redacts complete lines (bytes ending with a line break). Every built-in rule is
       * ASCII, which UTF-8 never uses inside a multi-byte character, so a Latin-1 view
       * (byte offsets = character offsets) is scanned once for candidates; only the lines
       * holding one are decoded and redacted, and the bytes between pass through as they
       * are. Extra patterns may match anything: with them, the whole block is decoded and
       * redacted.
       */
      const block = (bytes: Buffer): Buffer[] => {
        if (extra.length > 0) {
          const text = bytes.toString('utf8');
          if (!state.inKey && !text.includes('-----BEGIN '))
            return [Buffer.from(redactBlock(text))];
          const lines = text.split('\n');
          lines.pop();
          return [Buffer.from(lines.map((l) => `${line(l, state)}\n`).join(''))];
        }
        const view = bytes.toString('latin1');
        const out: Buffer[] = [];
        let copied = 0;
        /** Redacts the line starting at `start`; returns where the next line starts. */
        const redactLine = (start: number): number => {
          const end = view.indexOf('\n', start);
          const original = bytes.subarray(start, end).toString('utf8');
          const redacted = line(original, state);
          if (redacted !== original) {
            out.push(bytes.subarray(copied, start), Buffer.from(`${redacted}\n`));
            copied = end + 1;
          }
          return end + 1;
        };
        let at = 0;
        while (state.inKey && at < view.length) at = redactLine(at);
        CANDIDATES.lastIndex = at;
        for (let found = CANDIDATES.exec(view); found; found = CANDIDATES.exec(view)) {
          if (found[0] === '://') {
            USERINFO_BYTES.lastIndex = found.index + 3;
            if (!USERINFO_BYTES.test(view)) continue;
          }
          let next = redactLine(view.lastIndexOf('\n', found.index) + 1);
          while (state.inKey && next < view.length) next = redactLine(next);
          CANDIDATES.lastIndex = next;
        }
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
