/**
 * Autovacuum for the embedded database. PGlite runs PostgreSQL as a single backend with
 * no autovacuum launcher, so nothing else would refresh its planner statistics (a new
 * database plans every query on default estimates, and the search plan of decision 0035
 * relies on them) or reclaim the dead rows that updates and deletes leave. Once a
 * minute this reads the same counters autovacuum reads and applies PostgreSQL's default
 * thresholds to each table (docs/decisions/0046-embedded-upkeep.md).
 */
import type { Database } from './database.js';

/** PostgreSQL's defaults: autovacuum_{vacuum,analyze}_{threshold,scale_factor}. */
const VACUUM_THRESHOLD = 50;
const VACUUM_SCALE = 0.2;
const ANALYZE_THRESHOLD = 50;
const ANALYZE_SCALE = 0.1;

/**
 * A tenth of PostgreSQL's default statistics target: ANALYZE samples 3,000 rows instead
 * of 30,000. PGlite answers nothing while it runs, and the search words index's
 * expression is computed for every sampled row: at 100,000 issues a full ANALYZE of
 * `issues` took 2.2–2.6 s, this one 0.18–0.29 s.
 */
const STATISTICS_TARGET = 10;

interface TableStats {
  name: string;
  live: number;
  dead: number;
  modified: number;
  /** -1 while the table was never vacuumed or analyzed (PostgreSQL 14+). */
  tuples: number;
}

export interface UpkeepLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What one pass did: the tables vacuumed (and analyzed) and those only analyzed. */
export interface UpkeepPass {
  vacuumed: string[];
  analyzed: string[];
}

/** The tables over autovacuum's thresholds, by what they need. */
export function dueTables(tables: readonly TableStats[]): UpkeepPass {
  const vacuumed: string[] = [];
  const analyzed: string[] = [];
  for (const table of tables) {
    const base = Math.max(table.live, table.tuples, 0);
    if (table.dead > VACUUM_THRESHOLD + VACUUM_SCALE * base) vacuumed.push(table.name);
    else if (table.tuples < 0 || table.modified > ANALYZE_THRESHOLD + ANALYZE_SCALE * base) {
      // Never analyzed (even when empty, so the planner knows it is small), or changed.
      analyzed.push(table.name);
    }
  }
  return { vacuumed, analyzed };
}

/** One pass: vacuum and analyze what autovacuum would, in this database's schema. */
export async function upkeepOnce(db: Database): Promise<UpkeepPass> {
  const stats = await db.query<TableStats>(
    `SELECT s.relname AS name, s.n_live_tup::float8 AS live, s.n_dead_tup::float8 AS dead,
            s.n_mod_since_analyze::float8 AS modified, c.reltuples::float8 AS tuples
     FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
     WHERE s.schemaname = current_schema()`,
  );
  const due = dueTables(stats.rows);
  const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
  // VACUUM cannot run in a transaction block: one statement per table, each on its own.
  for (const name of due.vacuumed) await db.query(`VACUUM ${quoted(name)}`);
  const analyze = [...due.vacuumed, ...due.analyzed];
  if (analyze.length > 0) {
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL default_statistics_target = ${STATISTICS_TARGET}`);
      for (const name of analyze) await tx.query(`ANALYZE ${quoted(name)}`);
    });
  }
  return due;
}

/** Runs a pass now and every `intervalMs` on an embedded database; a no-op on a server. */
export function scheduleEmbeddedUpkeep(
  db: Database,
  intervalMs: number,
  log: UpkeepLog,
): () => Promise<void> {
  if (db.kind !== 'embedded') return async () => {};
  let running: Promise<void> | undefined;
  const pass = () => {
    running ??= run().finally(() => (running = undefined));
    return running;
  };
  const run = async () => {
    try {
      const done = await upkeepOnce(db);
      if (done.vacuumed.length > 0 || done.analyzed.length > 0) {
        log.info(done, 'embedded database: vacuumed and analyzed');
      }
    } catch (err) {
      log.error({ err }, 'embedded database upkeep failed');
    }
  };
  const timer = setInterval(() => void pass(), intervalMs);
  timer.unref();
  void pass();
  // Stopping waits for a pass under way, so the database is not closed beneath it.
  return async () => {
    clearInterval(timer);
    await running;
  };
}
