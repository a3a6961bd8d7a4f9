/**
 * Redaction of one line of text: the built-in rules of the table (redaction-rules.ts)
 * and the configured patterns, URL passwords, and private key blocks, which may span
 * lines (a state object carries them across). redact.ts applies this to whole texts and
 * to streams.
 */
import { REDACTION_RULES } from './redaction-rules.js';

export const REDACTED = '**REDACTED**';

export interface Rule {
  pattern: RegExp;
  /** Says whether a match (but for its `keep` group) is a secret; every match is, if absent. */
  accept?: (secret: string) => boolean;
  /** Built-in rules only run on a line holding one of their anchors (case aside). */
  anchors?: RegExp;
}

/** Whether a private key block is open at the end of the last line redacted. */
export interface LineState {
  inKey: boolean;
}

export const alternation = (literals: readonly string[]) =>
  literals.map((literal) => literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|');
export const unique = (items: readonly string[]) => [
  ...new Set(items.map((item) => item.toLowerCase())),
];

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
export const USERINFO_BYTES = /:(?:\/\/|\\+\/\\+\/)[^\t\n\v\f\r /:@]+:[^\t\n\v\f\r /"]+@/y;

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

export interface LineRedaction {
  /** Text known to hold no key block: every rule, then the URL passwords. */
  block: (text: string) => string;
  /** One line (no line break inside); `state` carries a key block across lines. */
  line: (text: string, state: LineState) => string;
}

/** `extra`: additional regular expressions (sources); each match becomes REDACTED. */
export function lineRedaction(extra: readonly string[]): LineRedaction {
  const rules: Rule[] = [
    ...BUILTIN_RULES,
    ...extra.map((source) => ({ pattern: new RegExp(source, 'g') })),
  ];
  /** Every rule that could match somewhere in `text`, then the URL passwords. */
  const block = (text: string): string => {
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
  const line = (text: string, state: LineState): string => {
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
      if (!begin) return out + block(rest);
      out += block(rest.slice(0, begin.index)) + begin[0];
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
  return { block, line };
}
