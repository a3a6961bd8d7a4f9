/**
 * Redaction of secrets in run logs, before anything is stored or served: tokens of
 * GitHub and GitLab, bearer and basic credentials, private key blocks, registry auths,
 * passwords in URLs, and any configured pattern become `**REDACTED**`. Defence in depth
 * behind MintMaker's own sanitizer, not a replacement for it.
 *
 * Logs are redacted line by line, so a stream never holds more than one line (bounded by
 * `maxLineBytes`); a private key block spanning lines is tracked across them. A stream's
 * bytes are first searched with WebAssembly SIMD (trigram-scan.ts) for where a rule could
 * match; only the lines found there are decoded and rewritten.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { InputError } from '../domain/errors.js';
import { createTrigramScan, type TrigramScan } from './trigram-scan.js';

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

/** Every match of a built-in rule contains one of these (case aside). */
const RULE_ANCHORS: readonly string[] = [
  ...['p', 'o', 'u', 's', 'r'].map((kind) => `gh${kind}_`),
  'github_pat_',
  ...['pat', 'ptt', 'dt', 'rt', 'soat', 'cbt', 'imt', 'agent', 'oas', 'ft', 'wt'].map(
    (kind) => `gl${kind}-`,
  ),
  'bearer',
  'basic',
  'auth',
  'passw',
  'token',
  'secret',
  'api_key',
  'apikey',
];
/** Where a match of a built-in rule, a password in a URL or a private key block begins. */
const CANDIDATE_ANCHORS: readonly string[] = [...RULE_ANCHORS, '://', '-----BEGIN '];

const alternation = (literals: readonly string[]) =>
  literals.map((literal) => literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|');
/** A text without any of these is left to the URL scan alone. */
const BUILTIN_ANCHORS = new RegExp(alternation(RULE_ANCHORS), 'i');
const CANDIDATES = new RegExp(alternation(CANDIDATE_ANCHORS), 'gi');

/**
 * Three characters of every candidate anchor (case aside), for the SIMD trigram scan that
 * finds where a stream's candidates may be (exported for its test). Grouped in the scan's
 * 8 buckets so that little other text passes: about 0.2 reports per KiB that are none of
 * these, measured on READMEs, package.json files and JavaScript. Rare trigrams are taken
 * where an anchor's start is common ("uth", not "aut" as in "automerge"; "b_p" of
 * github_pat_, not "git" as in "github.com").
 */
export const TRIGRAMS: readonly (readonly string[])[] = [
  ['glp', 'gld', 'glr', 'gls', 'glc', 'gli', 'gla', 'glo', 'glf', 'glw'],
  ['bea'],
  ['ecr'],
  ['pi_', 'pik'],
  ['b_p', '://'],
  ['sic', '-be'],
  ['uth', 'tok'],
  ['hp_', 'ho_', 'hu_', 'hs_', 'hr_', 'ssw'],
];

/**
 * How far a reported trigram may lie inside its anchor: every anchor holding one at
 * position q lies within [q - before, q + after). Checked when this module loads: an
 * anchor without a trigram would be a candidate the scan never reports.
 */
const CONFIRM_WINDOW = (() => {
  let before = 0;
  let after = 0;
  for (const anchor of CANDIDATE_ANCHORS) {
    const folded = anchor.toLowerCase();
    let covered = false;
    for (const trigram of TRIGRAMS.flat()) {
      for (let at = folded.indexOf(trigram); at >= 0; at = folded.indexOf(trigram, at + 1)) {
        covered = true;
        before = Math.max(before, at);
        after = Math.max(after, anchor.length - at);
      }
    }
    if (!covered) throw new Error(`redaction: no trigram finds the anchor ${anchor}`);
  }
  return { before, after };
})();

/** One scan for every stream: each runs to its end before another can start. */
let sharedScan: TrigramScan | undefined;
const trigramScan = (): TrigramScan => (sharedScan ??= createTrigramScan(TRIGRAMS));

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
  // At start, so that a runtime without WebAssembly SIMD fails here, not while serving.
  const scan = trigramScan();
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
      // An empty line hides nothing (and the end of a text is not a line to mark).
      return text === '' ? '' : REDACTED;
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
       * ASCII, which UTF-8 never uses inside a multi-byte character, so the bytes are
       * searched as they are: the trigram scan reports where a candidate may be, each
       * report is confirmed on the Latin-1 text of its line (byte offsets = character
       * offsets), and only the lines holding a candidate are decoded and redacted; the
       * bytes between pass through as they are. Extra patterns may match anything: with
       * them, the whole block is decoded and redacted.
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
            if (found[0] === '://') {
              USERINFO_BYTES.lastIndex = offset + found.index + 3;
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
