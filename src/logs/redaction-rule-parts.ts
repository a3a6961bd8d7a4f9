/**
 * The pieces the redaction rule table (redaction-rules.ts) is built from: the parts of
 * the assignment rules (a secret name, its separator, a value that is no placeholder),
 * the check that a value looks generated, and the filler its samples are made of.
 */
import type { RedactionSample } from './redaction-rules.js';

/**
 * Filler for samples: deterministic, never a real secret, never a literal one in source
 * (so that no scanner flags this file), and each call's different from every other's (so
 * that a sample's secret never appears in another sample's text by chance).
 */
let fakes = 0;
export function fake(length: number, alphabet = 'aB3cD4eF5gH6iJ7kL8mN9pQ2rSxTuVwYz'): string {
  fakes += 1;
  let state = fakes * 2654435761;
  let out = '';
  while (out.length < length) {
    // A linear congruential generator: spread enough for samples, the same every run.
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out += alphabet[(state >>> 16) % alphabet.length];
  }
  return out;
}
/** A sample whose secret is `secret`, in the text `wrap` makes around it. */
export const sample = (secret: string, wrap: (secret: string) => string): RedactionSample => ({
  text: wrap(secret),
  secret,
});
export const UPPER = 'QWERTYUIOPASDFGHJKLZXCVBNM234567';

/** Bits of information per character: random keys score high, words and paths low. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
/** A value that looks generated: long, letters and digits, high entropy. */
export const looksRandom = (value: string) =>
  value.length >= 16 && /[0-9]/.test(value) && /[A-Za-z]/.test(value) && entropy(value) >= 3.5;

/*
 * The pieces of the assignment rules. A key and its value may be quoted, also escaped
 * (`\"token\":\"…\"`, a JSON document inside a JSON log line), and separated by `:`,
 * `=`, `:=` or `=>`. A quoted value runs to its closing quote (spaces and all); another
 * ends at a space, a quote or a separator. Neither is a placeholder: an environment or
 * template reference, a mask, `null`, `true`, ….
 */
export const QUOTE = String.raw`(?:\\*["'])?`;
export const SEPARATOR = String.raw`${QUOTE}[ \t]*(?:=>|:=|[:=])[ \t]*${QUOTE}`;
const PLACEHOLDER = String.raw`(?!\*\*REDACTED\*\*|[A-Za-z]+[ \t]+\*\*REDACTED\*\*|\*{3}|\$\{?[A-Za-z_]|%[A-Za-z_]+%|[{[]|<[^>]*>|(?:null|true|false|none|nil|undefined|redacted|masked|hidden)(?![A-Za-z0-9_-]))`;
export const VALUE = String.raw`${PLACEHOLDER}(?:(?<=")(?:[^"\\\n]|\\(?![\\"nrt])){4,}|(?<=')(?:[^'\\\n]|\\(?![\\'nrt])){4,}|(?<!["'])(?:[^\s"'\x60\\,;&})\]]|\\(?![\\"'nrt])){4,})`;
/** Names of keys that are secrets whatever their value looks like. */
const NAMED_KEY = String.raw`(?:(?:api|access|account|secret|private|client|master|auth|signing|encryption|subscription|license|session|app|deploy)[_.-]key|apikey|accesskey|accountkey|secretkey|privatekey|authkey)`;
export const SECRET_NAME = String.raw`(?:passw(?:or)?d[A-Za-z0-9_]{0,40}|secret|token|auth|credentials?|${NAMED_KEY})`;
