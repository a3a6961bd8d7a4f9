/**
 * Migration 10: an index of the words of every issue's title and description
 * (docs/decisions/0035-search-by-words.md). A word is a maximal run of letters and
 * digits of the lowercased text (at most its first 100 characters are kept); the
 * index holds, per distinct word, the issues that contain it. A search term that
 * spans a separator pins words down: its inner words are whole words of the issue and
 * its last one is the start of one, which a GIN lookup answers from the postings of
 * just those words (`component-12345` reads the few issues with a word starting
 * `12345`), where the trigram indexes of migration 7 read long posting lists of
 * trigrams every issue shares. `ILIKE` still decides which issues match; the words
 * only narrow the rows it is tried on. `IF NOT EXISTS`: an operator may have built the
 * index beforehand `CONCURRENTLY`.
 */
export const SEARCH_WORDS_SCHEMA = `
CREATE OR REPLACE FUNCTION kite_search_words(title text, description text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_to_tsvector(ARRAY(
    SELECT DISTINCT left(word, 100)
    FROM unnest(regexp_split_to_array(lower(title || ' ' || description), '[^[:alnum:]]+')) AS word
    WHERE word <> ''))
$$
-- statement
CREATE INDEX IF NOT EXISTS issues_search_words ON issues USING gin (kite_search_words(title, description))
`;
