/**
 * Seeds the real schema (after migrations) with many issues in one statement, for the
 * scale and embedded phases. The rows look like the ones the webhooks write: pipeline
 * runs of components in namespaces, titles and descriptions that name the component
 * (so `?search=` has something to find through the trigram indexes), Konflux labels plus
 * a team, an optional tier and one of twenty `k<i>` labels (so label selectors, positive
 * and negative, have real work), a skewed severity mix and most old issues resolved.
 *
 * The secondary indexes are dropped for the load and rebuilt from their own definitions
 * (read from `pg_indexes` first), which is several times faster than maintaining eight
 * indexes, three of them GIN, row by row; the schema afterwards is exactly the migrated
 * one. Only the `issues_notify` trigger is switched off during the load (nobody listens
 * yet); any other trigger on issues keeps running.
 */
import type { Database } from '../src/store/database.js';

export interface SeedShape {
  /** All issues, in every namespace. */
  issues: number;
  /** The ordinary namespaces `ns-0` … `ns-<n-1>` that share the issues outside `big`. */
  namespaces: number;
  /** Out of every 13 issues, how many belong to the one large namespace `big` (0: none). */
  bigOutOf13: number;
  /**
   * Place-key prefixes (src/domain/place.ts) the issues are spread over in turn: `''` for
   * the server's own cluster, `'c2/'` for a member's. Default: the own cluster only.
   */
  clusters?: string[];
}

/** Distinct components across all namespaces: `component-0` … `component-19999`. */
export const COMPONENTS = 20_000;

/**
 * The issue with sequence number g (1 = oldest) is detected 1.8 s after g − 1, so 1.3M
 * issues span 27 days, inside the server's default 30-day retention (an older resolved
 * issue would be pruned by the server under test, in the middle of the measurements),
 * and the table's physical order follows detection time, as it does for a table filled
 * by webhooks.
 */
const SEED_SQL = `
INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace, title, description,
                    severity, state, labels, occurrences, detected_at, last_seen_at, resolved_at, state_at,
                    created_at, updated_at)
SELECT ns, kind, 'pipelinerun', run, split_part(ns, '/', -1),
       'Pipeline run ' || run || ' failed: ' || kind || ' of ' || comp,
       'Task ' || kind || '-container of ' || comp || ' failed: step-' || kind || ' exited with code '
         || (h1 % 255) || '. See the logs of pipeline run ' || run || ' in ' || ns || '.',
       CASE WHEN h2 % 100 < 20 THEN 'info' WHEN h2 % 100 < 55 THEN 'minor'
            WHEN h2 % 100 < 90 THEN 'major' ELSE 'critical' END,
       CASE WHEN h3 % 100 < 70 THEN 'RESOLVED' ELSE 'ACTIVE' END,
       jsonb_build_object(
         'appstudio.openshift.io/component', comp,
         'appstudio.openshift.io/application', 'app-' || (h1 % 2000),
         'team', (ARRAY['a', 'b', 'c', 'd', 'e', 'f'])[1 + h2 % 6],
         'k' || (h3 % 20), 'v' || (h1 % 3))
         || CASE WHEN h3 % 4 = 0 THEN '{"tier": "prod"}'::jsonb ELSE '{}'::jsonb END,
       1 + h1 % 5, at, at,
       CASE WHEN h3 % 100 < 70 THEN at + interval '2 hours' END, at, at, at
FROM (
  SELECT g, h1, h2, h3, comp,
         ($5::text[])[1 + g % cardinality($5::text[])] ||
           CASE WHEN $3::int > 0 AND g % 13 < $3::int THEN 'big' ELSE 'ns-' || (h1 % $2::int) END AS ns,
         (ARRAY['build', 'test', 'release', 'dependency', 'pipeline'])[1 + h2 % 5] AS kind,
         comp || '-on-push-' || to_hex(g) AS run,
         $4::timestamptz - ($1::int - g) * interval '1.8 seconds' AS at
  FROM (
    SELECT g, hashint4(g) & 2147483647 AS h1, hashint4(-g) & 2147483647 AS h2,
           hashint4(g # 1431655765) & 2147483647 AS h3,
           'component-' || ((hashint4(g # 715827882) & 2147483647) % ${COMPONENTS}) AS comp
    FROM generate_series(1, $1::int) AS g
  ) AS hashed
) AS shaped`;

/** What kite_fold_issue_counts() does when its dice say so (migration 8). */
const FOLD_SQL = `
WITH folded AS (DELETE FROM issue_count_deltas RETURNING *)
INSERT INTO issue_counts AS c (namespace, state, severity, issue_type, n)
SELECT namespace, state, severity, issue_type, sum(n) FROM folded GROUP BY 1, 2, 3, 4
ON CONFLICT (namespace, state, severity, issue_type) DO UPDATE SET n = c.n + EXCLUDED.n`;

/** Loads `shape` into an empty, migrated issues table; resolves to the seconds it took. */
export async function seedIssues(db: Database, shape: SeedShape): Promise<number> {
  const started = performance.now();
  const indexes = await db.query<{ name: string; definition: string }>(
    `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
     WHERE schemaname = current_schema() AND tablename = 'issues'
       AND indexname NOT IN (SELECT conname FROM pg_constraint)`,
  );
  await db.transaction(async (tx) => {
    await tx.query('ALTER TABLE issues DISABLE TRIGGER issues_notify');
    for (const index of indexes.rows) await tx.query(`DROP INDEX ${index.name}`);
    await tx.query(SEED_SQL, [
      shape.issues,
      shape.namespaces,
      shape.bigOutOf13,
      new Date().toISOString(),
      shape.clusters ?? [''],
    ]);
    await tx.query('ALTER TABLE issues ENABLE TRIGGER issues_notify');
  });
  await db.transaction(async (tx) => {
    // Index builds sort in memory when they can (the server default is 64 MB).
    await tx.query("SET LOCAL maintenance_work_mem = '256MB'");
    for (const index of indexes.rows) await tx.query(index.definition);
  });
  // The load's counts went in as one delta row per key; writers fold deltas into
  // issue_counts every 16 statements or so, so a running server sees few. Fold them, as
  // the first writes would: otherwise every total and count reads all the deltas.
  await db.query(FOLD_SQL);
  // Steady state: statistics, visibility map and hint bits as autovacuum leaves them.
  await db.query('VACUUM ANALYZE issues, issue_counts, issue_count_deltas');
  if (db.kind === 'postgres') await db.query('CHECKPOINT');
  return (performance.now() - started) / 1000;
}
