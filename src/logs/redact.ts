/**
 * Redaction of secrets in run logs, before anything is stored or served: what a rule of
 * the built-in table (redaction-rules.ts: cloud keys, forge, registry and chat tokens,
 * JWTs, private key blocks, URL credentials, secrets assigned to secret names) or a
 * configured pattern matches becomes `**REDACTED**`. Defence in depth behind MintMaker's
 * own sanitizer, not a replacement for it.
 *
 * Logs are redacted line by line, so a stream never holds more than one line (bounded by
 * `maxLineBytes`); a private key block spanning lines is tracked across them. A stream's
 * bytes are first searched with WebAssembly SIMD (trigram-scan.ts) for where a rule's
 * anchor could be; only the lines found there are decoded and rewritten. A line is only
 * checked against the rules whose anchors it holds, so `text()` and `stream()` hide the
 * same (a property test holds them to it).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { InputError } from '../domain/errors.js';
import { REDACTION_RULES } from './redaction-rules.js';
import { createTrigramScan, type TrigramScan } from './trigram-scan.js';

export const REDACTED = '**REDACTED**';
const EMPTY: Buffer = Buffer.alloc(0);

interface Rule {
  pattern: RegExp;
  /** Says whether a match (but for its `keep` group) is a secret; every match is, if absent. */
  accept?: (secret: string) => boolean;
  /** Built-in rules only run on a line holding one of their anchors (case aside). */
  anchors?: RegExp;
}

const alternation = (literals: readonly string[]) =>
  literals.map((literal) => literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|');
const unique = (items: readonly string[]) => [...new Set(items.map((item) => item.toLowerCase()))];

const BUILTIN_RULES: readonly Rule[] = REDACTION_RULES.flatMap((rule) =>
  rule.kind === 'match'
    ? [
        {
          pattern: rule.pattern,
          ...(rule.accept ? { accept: rule.accept } : {}),
          anchors: new RegExp(alternation(unique(rule.anchors)), 'i'),
        },
      ]
    : [],
);
/** Where a URL's credentials may follow: `://`, and `:\/\/` escaped once or more. */
const URL_ANCHORS = unique(
  REDACTION_RULES.flatMap((rule) => (rule.kind === 'url' ? rule.anchors : [])),
);
/** Where any rule's match may be: what the stream looks for before it decodes a line. */
const CANDIDATE_ANCHORS = unique(REDACTION_RULES.flatMap((rule) => rule.anchors));
const CANDIDATES = new RegExp(alternation(CANDIDATE_ANCHORS), 'gi');

/**
 * Three characters of every candidate anchor (case aside), for the SIMD trigram scan that
 * finds where a stream's candidates may be (exported for its test). Grouped in the scan's
 * 16 buckets so that little other text passes (a bucket accepts the cross product of its
 * trigrams' nibbles): the grouping was searched for the fewest reports on READMEs,
 * JavaScript and package.json files from node_modules and the benchmark's Renovate log
 * (docs/decisions/0018-redaction-rules-of-a-secret-scanner.md). Rare trigrams are taken
 * where an anchor's start is common ("uth", not "aut" as in "automerge"; "b_p" of
 * github_pat_, not "git" as in "github.com"; "-be" of -----BEGIN, not "egi" as in
 * "registry").
 */
export const TRIGRAMS: readonly (readonly string[])[] = [
  ['bia', 'bea', 'b_p'],
  ['4q~', 'pwd', '0q~', '7q~', '5q~', 'uth', '1q~'],
  ['sic', 'eyj', 'sia', 'pik'],
  ['gld', 'glf', 'gls', ':\\\\', 'gla', 'glc', 'gli', 'glr', 'glp', 'glo', ':\\/', 'glw'],
  ['ede'],
  ['ogi', 'tek'],
  ['.ke', '-ke', '-be'],
  ['cca', 'aid', 'kia'],
  ['pm_', 'xox', '://'],
  ['npa', 'r13', 'gpa'],
  ['ssk', '6q~', 'spx', 'ssw', '3q~'],
  ['a29', 'ig=', 'aip', 'xap', 'aiz'],
  ['pka', 'roa', 'tok', '_ke', 'tke'],
  ['8q~', 'hp_', 'ho_', 'hs_', '2q~', 'hr_', 'hu_', '9q~'],
  ['k.c', 'i-a'],
  ['anv', 'ecr', 'ckr'],
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
    let covered = false;
    for (const trigram of TRIGRAMS.flat()) {
      for (let at = anchor.indexOf(trigram); at >= 0; at = anchor.indexOf(trigram, at + 1)) {
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

/**
 * Every match of `pattern` (global) in `text` becomes REDACTED, but for its `keep` group
 * and for what `accept` turns down.
 */
function redactMatches(text: string, { pattern, accept }: Rule): string {
  pattern.lastIndex = 0;
  let out = '';
  let copied = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match[0] === '') {
      pattern.lastIndex += 1;
      continue;
    }
    const start = match.index + (match.groups?.keep?.length ?? 0);
    const end = match.index + match[0].length;
    if (accept && !accept(text.slice(start, end))) continue;
    out += text.slice(copied, start) + REDACTED;
    copied = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Where a URL's credentials would begin: after `://`, also escaped (`:\/\/`, `:\\/\\/`). */
const SCHEME_END = /:(?:\/\/|\\+\/\\+\/)/g;
/**
 * user:password@ in a URL. The password runs to the last `@` before a space, a `/` or a
 * quote, so that an `@` inside it hides nothing.
 */
const USERINFO = /[^\s/:@]+:[^\s/"]+@/y;
/**
 * SCHEME_END and USERINFO on a Latin-1 view of UTF-8 bytes, from the anchor on: only
 * ASCII spaces end it, so that a byte of a multi-byte character (0x85, 0xA0 read as
 * spaces) cannot hide a password. It says yes wherever USERINFO would.
 */
const USERINFO_BYTES = /:(?:\/\/|\\+\/\\+\/)[^\t\n\v\f\r /:@]+:[^\t\n\v\f\r /"]+@/y;

function redactUrlPasswords(text: string): string {
  if (!text.includes(':/') && !text.includes(':\\')) return text;
  let out = '';
  let copied = 0;
  SCHEME_END.lastIndex = 0;
  for (let scheme = SCHEME_END.exec(text); scheme; scheme = SCHEME_END.exec(text)) {
    const from = scheme.index + scheme[0].length;
    USERINFO.lastIndex = from;
    const match = USERINFO.exec(text);
    if (!match) continue;
    const userEnd = from + match[0].indexOf(':') + 1;
    out += text.slice(copied, userEnd) + REDACTED + '@';
    copied = from + match[0].length;
    SCHEME_END.lastIndex = copied;
  }
  return out + text.slice(copied);
}

const KEY_BEGIN = /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/;
const KEY_END = /-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/;
/** A key's body escaped in one line (`\n` for its line breaks), as in a JSON string. */
const ESCAPED_KEY_BODY = /^\\+[nr](?:[A-Za-z0-9+/= \t]|\\+[nrt])*/;

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
const BUILTIN_VERSION = 'kite-redact-2';

/** `extra`: additional regular expressions (sources); each match becomes `**REDACTED**`. */
export function createRedactor(extra: readonly string[] = []): Redactor {
  // At start, so that a runtime without WebAssembly SIMD fails here, not while serving.
  const scan = trigramScan();
  const rules: Rule[] = [
    ...BUILTIN_RULES,
    ...extra.map((source) => ({ pattern: new RegExp(source, 'g') })),
  ];
  /** Every rule that could match somewhere in `text`, then the URL passwords. */
  const redactBlock = (text: string): string => {
    let out = text;
    for (const rule of rules) {
      if (rule.anchors && !rule.anchors.test(text)) continue;
      out = redactMatches(out, rule);
    }
    return redactUrlPasswords(out);
  };
  /**
   * A private key's body is hidden from its BEGIN line to its END line (`state.inKey`
   * carries it across lines; an empty line inside stays empty), or within the line when
   * it is escaped in one (`\n`, as in a service account's JSON); the rest of the line,
   * before and after, goes through the other rules.
   */
  const line = (text: string, state: { inKey: boolean }): string => {
    let out = '';
    let rest = text;
    for (;;) {
      if (state.inKey) {
        const end = KEY_END.exec(rest);
        if (!end) return out + (rest === '' ? '' : REDACTED);
        state.inKey = false;
        out += (end.index > 0 ? REDACTED : '') + end[0];
        rest = rest.slice(end.index + end[0].length);
        continue;
      }
      const begin = KEY_BEGIN.exec(rest);
      if (!begin) return out + redactBlock(rest);
      out += redactBlock(rest.slice(0, begin.index)) + begin[0];
      rest = rest.slice(begin.index + begin[0].length);
      const escaped = ESCAPED_KEY_BODY.exec(rest);
      if (escaped) {
        out += REDACTED;
        rest = rest.slice(escaped[0].length);
      } else {
        state.inKey = true;
      }
    }
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
