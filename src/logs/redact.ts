/**
 * Redaction of secrets in run logs, before anything is stored or served: tokens of
 * GitHub and GitLab, bearer and basic credentials, private key blocks, registry auths,
 * passwords in URLs, and any configured pattern become `**REDACTED**`. Defence in depth
 * behind MintMaker's own sanitizer, not a replacement for it.
 *
 * Logs are redacted line by line, so a stream never holds more than one line (bounded by
 * `maxLineBytes`); a private key block spanning lines is tracked across them.
 */
import { readFile } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { InputError } from '../domain/errors.js';

export const REDACTED = '**REDACTED**';

interface Rule {
  pattern: RegExp;
  /** The replacement; `$1` keeps a prefix such as "Bearer ". */
  replace: string;
}

const BUILTIN_RULES: readonly Rule[] = [
  // GitHub: classic and fine-grained tokens.
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{20,255}\b/g, replace: REDACTED },
  { pattern: /\bgithub_pat_[A-Za-z0-9_]{20,255}\b/g, replace: REDACTED },
  // GitLab: personal, project, group, deploy, runner, OAuth, … tokens.
  {
    pattern: /\bgl(?:pat|ptt|dt|rt|soat|cbt|imt|agent|oas|ft|wt)-[A-Za-z0-9_-]{20,}/g,
    replace: REDACTED,
  },
  // Authorization headers and the like.
  { pattern: /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, replace: `$1${REDACTED}` },
  { pattern: /\b(Basic\s+)[A-Za-z0-9+/]{8,}={0,2}/gi, replace: `$1${REDACTED}` },
  // Registry auths and passwords in JSON or YAML-ish key/value text.
  {
    pattern:
      /("?(?:auth|password|passwd|token|secret|access_token|refresh_token|client_secret|api_key|apikey)"?\s*[:=]\s*"?)(?!\*\*REDACTED|Bearer\s|Basic\s)[^\s",}]{4,}/gi,
    replace: `$1${REDACTED}`,
  },
  // user:password@ in URLs.
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s@/]+@/gi, replace: `$1${REDACTED}@` },
];

/**
 * Matches wherever any built-in rule could: text without a match needs no rule at all,
 * which keeps redaction cheap on the (vast) majority of log lines.
 */
const BUILTIN_TRIGGER =
  /gh[pousr]_|github_pat_|gl(?:pat|ptt|dt|rt|soat|cbt|imt|agent|oas|ft|wt)-|bearer\s|basic\s|(?:auth|password|passwd|token|secret|access_token|refresh_token|client_secret|api_key|apikey)"?\s*[:=]|:\/\/[^\s/:@]+:[^\s@/]+@|-----BEGIN /i;

const KEY_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/;
const KEY_END = /-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/;

export interface Redactor {
  /** Redacts one line (no line break inside). `inKey` carries a key block across lines. */
  line(text: string, state: { inKey: boolean }): string;
  /** Redacts a whole text. */
  text(text: string): string;
  /** A transform redacting a byte stream of UTF-8 text line by line. */
  stream(maxLineBytes?: number): Transform;
}

/** `extra`: additional regular expressions (sources); each match becomes `**REDACTED**`. */
export function createRedactor(extra: readonly string[] = []): Redactor {
  const rules: Rule[] = [
    ...BUILTIN_RULES,
    ...extra.map((source) => ({ pattern: new RegExp(source, 'g'), replace: REDACTED })),
  ];
  const extraTriggers = extra.map((source) => new RegExp(source));
  const mayMatch = (text: string) =>
    BUILTIN_TRIGGER.test(text) || extraTriggers.some((pattern) => pattern.test(text));
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
    if (!mayMatch(text)) return text;
    let out = text;
    for (const rule of rules) out = out.replace(rule.pattern, rule.replace);
    return out;
  };
  return {
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
      let pending = '';
      const decoder = new TextDecoder('utf-8');
      return new Transform({
        transform(chunk: Buffer, _encoding, callback: TransformCallback) {
          pending += decoder.decode(chunk, { stream: true });
          const end = pending.lastIndexOf('\n');
          const out: string[] = [];
          if (end >= 0) {
            const complete = pending.slice(0, end + 1);
            pending = pending.slice(end + 1);
            // Most chunks hold nothing any rule could match: pass them through whole.
            if (!state.inKey && !mayMatch(complete)) out.push(complete);
            else {
              const lines = complete.split('\n');
              lines.pop();
              for (const l of lines) out.push(`${line(l, state)}\n`);
            }
          }
          // A line longer than the bound is redacted in pieces (no line break added).
          while (pending.length > maxLineBytes) {
            out.push(line(pending.slice(0, maxLineBytes), state));
            pending = pending.slice(maxLineBytes);
          }
          if (out.length > 0) this.push(out.join(''));
          callback();
        },
        flush(callback: TransformCallback) {
          pending += decoder.decode();
          if (pending.length > 0) this.push(line(pending, state));
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
