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

/** user:password@ in URLs, found from each `://` (far faster than a regular expression scan). */
const USERINFO = /[^\s/:@]+:[^\s@/]+@/y;
/** Whether some URL in `text` carries a password. */
function hasUrlPassword(text: string): boolean {
  for (let at = text.indexOf('://'); at >= 0; at = text.indexOf('://', at + 3)) {
    USERINFO.lastIndex = at + 3;
    if (USERINFO.test(text)) return true;
  }
  return false;
}

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
      let pending: Buffer = Buffer.alloc(0);
      /** Redacts complete lines (bytes ending with a line break). */
      const block = (bytes: Buffer): Buffer | string => {
        // Fast path: a Latin-1 view is a byte-for-byte copy, and every built-in rule is
        // ASCII, which UTF-8 never uses inside a multi-byte character; bytes where nothing
        // can match pass through untouched, without decoding or re-encoding.
        if (!state.inKey && extra.length === 0) {
          const view = bytes.toString('latin1');
          if (
            !view.includes('-----BEGIN ') &&
            !BUILTIN_ANCHORS.test(view) &&
            !hasUrlPassword(view)
          ) {
            return bytes;
          }
        }
        const text = bytes.toString('utf8');
        if (!state.inKey && !text.includes('-----BEGIN ')) return redactBlock(text);
        const lines = text.split('\n');
        lines.pop();
        return lines.map((l) => `${line(l, state)}\n`).join('');
      };
      return new Transform({
        transform(chunk: Buffer, _encoding, callback: TransformCallback) {
          const data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
          const end = data.lastIndexOf(0x0a);
          if (end >= 0) {
            this.push(block(data.subarray(0, end + 1)));
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
