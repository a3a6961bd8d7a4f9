/**
 * Search by words (migration 10, docs/decisions/0035-search-by-words.md). A search is
 * `title ILIKE '%term%' OR description ILIKE '%term%'`; when the term spans a
 * separator (anything but an ASCII letter or digit), the words it pins down narrow the
 * issues that test is tried on:
 *
 * - a word of the term with a separator on both sides is a whole word of the issue;
 * - its last word, with a separator before it, is the start of a word of the issue;
 * - its first word (only a separator after it) could be the end of any word, so it
 *   pins nothing down, nor does a term without separators (`12345`).
 *
 * Those words become a text-search query over the words index (`'12345':*` for
 * `component-12345`). Words every issue shares would make the index read most of the
 * table and then test every row again, so the planner's estimate decides: the words
 * are used only when it expects few issues to have them; otherwise the search goes
 * the way it went before (trigram indexes, or the newest issues in order).
 */
import type { Queryable } from './database.js';

/** The index keeps the first 100 characters of a word (schema-search.ts). */
const WORD_CHARS = 100;

/** Above this many estimated issues with the words, the words index is not used. */
export const WORDS_ESTIMATE_MAX = 10_000;

/**
 * The text-search query (before `lower()`) of the words `term` pins down, or undefined
 * when it pins none. Only printable ASCII terms: their letters, digits and separators
 * are the same for JavaScript and for the database's `[[:alnum:]]` in any locale.
 */
export function wordsOfTerm(term: string): string | undefined {
  if (!/^[\x20-\x7e]*$/.test(term)) return undefined;
  const pieces = term.split(/[^A-Za-z0-9]+/);
  const lexemes: string[] = [];
  pieces.forEach((piece, index) => {
    if (index === 0 || piece === '') return;
    const whole = index < pieces.length - 1 && piece.length < WORD_CHARS;
    lexemes.push(`'${piece.slice(0, WORD_CHARS)}'${whole ? '' : ':*'}`);
  });
  return lexemes.length > 0 ? lexemes.join(' & ') : undefined;
}

/** The condition on the words index, over the parameter holding `wordsOfTerm`'s query. */
export const wordsCondition = (parameter: string) =>
  `kite_search_words(title, description) @@ lower(${parameter})::tsquery`;

/**
 * The words query to narrow a search with, when the term pins words down and the
 * planner expects at most WORDS_ESTIMATE_MAX issues to have them; else undefined.
 */
export async function searchWords(q: Queryable, term: string): Promise<string | undefined> {
  const words = wordsOfTerm(term);
  if (words === undefined) return undefined;
  const plan = await q.query<{ 'QUERY PLAN': unknown }>(
    `EXPLAIN (FORMAT JSON) SELECT 1 FROM issues WHERE ${wordsCondition('$1')}`,
    [words],
  );
  const raw = plan.rows[0]?.['QUERY PLAN'];
  const parsed = (typeof raw === 'string' ? JSON.parse(raw) : raw) as
    { Plan?: { 'Plan Rows'?: number } }[] | undefined;
  const estimate = parsed?.[0]?.Plan?.['Plan Rows'];
  return estimate !== undefined && estimate <= WORDS_ESTIMATE_MAX ? words : undefined;
}
