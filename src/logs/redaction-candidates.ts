/**
 * Where in a stream's bytes a rule could match: every rule's anchors, the trigrams the
 * WebAssembly SIMD scan (trigram-scan.ts) looks for, and how far around a reported
 * trigram its anchor may lie. redact.ts decodes and redacts only the lines found here.
 */
import { REDACTION_RULES } from './redaction-rules.js';
import { alternation, unique } from './redaction-line.js';
import { createTrigramScan, type TrigramScan } from './trigram-scan.js';

/** Where a URL's credentials may follow: `://`, and `:\/\/` escaped once or more. */
export const URL_ANCHORS = unique(
  REDACTION_RULES.flatMap((rule) => (rule.kind === 'url' ? rule.anchors : [])),
);
/** Where any rule's match may be: what the stream looks for before it decodes a line. */
const CANDIDATE_ANCHORS = unique(REDACTION_RULES.flatMap((rule) => rule.anchors));
export const CANDIDATES = new RegExp(alternation(CANDIDATE_ANCHORS), 'gi');

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
export const CONFIRM_WINDOW = (() => {
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
export const trigramScan = (): TrigramScan => (sharedScan ??= createTrigramScan(TRIGRAMS));
