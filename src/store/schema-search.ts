/**
 * Migration 10: an index of the words of every issue's title and description
 * (docs/decisions/0035-search-by-words.md). A word is a maximal run of letters and
 * digits of the lowercased text; the index holds, per distinct word, the issues that
 * contain it. A lexeme holds at most 2047 bytes, so in texts that long words are cut
 * to their first 100 characters (search-words.ts looks a long word up by that prefix);
 * shorter texts skip that pass, which is a quarter of the function's cost. A search term that
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
  SELECT CASE WHEN octet_length(title) + octet_length(description) < 2047
    THEN array_to_tsvector(array_remove(
      regexp_split_to_array(lower(title || ' ' || description), '[^[:alnum:]]+'), ''))
    ELSE array_to_tsvector(ARRAY(
      SELECT DISTINCT left(word, 100)
      FROM unnest(regexp_split_to_array(lower(title || ' ' || description), '[^[:alnum:]]+')) AS word
      WHERE word <> ''))
  END
$$
-- statement
CREATE INDEX IF NOT EXISTS issues_search_words ON issues USING gin (kite_search_words(title, description))
`;
