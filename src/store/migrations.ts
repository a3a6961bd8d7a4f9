/**
 * Schema migrations, applied in order at start-up (and by `kite migrate`). The same SQL
 * runs on PGlite and on a server PostgreSQL. Concurrent starts of several replicas are
 * serialized by an advisory lock, so each migration is applied exactly once.
 */
import type { Database } from './database.js';
import {
  INITIAL_SCHEMA,
  LOG_SEGMENTS_SCHEMA,
  LOG_UPLOAD_CLAIMS_SCHEMA,
  MINTMAKER_LOGS_SCHEMA,
  QUERY_INDEXES_SCHEMA,
  REDACTION_FINGERPRINT_SCHEMA,
  RUN_ORDER_SCHEMA,
} from './schema.js';
import { ISSUE_COUNTS_SCHEMA } from './schema-counts.js';
import { EVENT_RESUME_SCHEMA } from './schema-events.js';
import { NOTIFICATIONS_SCHEMA } from './schema-notifications.js';
import { GROUP_JOIN_LOCK_SCHEMA, ROOT_CAUSE_GROUPS_SCHEMA } from './schema-groups.js';
import { PARTITIONED_EVENTS_SCHEMA } from './schema-partitions.js';
import { SEARCH_WORDS_SCHEMA } from './schema-search.js';
import { SILENCES_SCHEMA } from './schema-silences.js';
import { TASK_UPDATES_SCHEMA } from './schema-tasks.js';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: INITIAL_SCHEMA },
  { version: 2, name: 'run order and run dedup', sql: RUN_ORDER_SCHEMA },
  { version: 3, name: 'MintMaker run log archive', sql: MINTMAKER_LOGS_SCHEMA },
  { version: 4, name: 'redaction fingerprint of archived logs', sql: REDACTION_FINGERPRINT_SCHEMA },
  { version: 5, name: 'archived logs as joinable DEFLATE segments', sql: LOG_SEGMENTS_SCHEMA },
  { version: 6, name: 'claims on MintMaker log uploads', sql: LOG_UPLOAD_CLAIMS_SCHEMA },
  { version: 7, name: 'search and label indexes', sql: QUERY_INDEXES_SCHEMA },
  { version: 8, name: 'issue counts table', sql: ISSUE_COUNTS_SCHEMA },
  { version: 9, name: 'resumable live events', sql: EVENT_RESUME_SCHEMA },
  { version: 10, name: 'search by words', sql: SEARCH_WORDS_SCHEMA },
  { version: 11, name: 'task updates: due dates and migrations', sql: TASK_UPDATES_SCHEMA },
  { version: 12, name: 'notifications: subscriptions and outbox', sql: NOTIFICATIONS_SCHEMA },
  { version: 13, name: 'silences and acknowledgements', sql: SILENCES_SCHEMA },
  { version: 14, name: 'failure signatures and root-cause groups', sql: ROOT_CAUSE_GROUPS_SCHEMA },
  { version: 15, name: 'group joins without lock upgrades', sql: GROUP_JOIN_LOCK_SCHEMA },
  { version: 16, name: 'events partitioned by month', sql: PARTITIONED_EVENTS_SCHEMA },
];

/** An arbitrary constant naming KITE's migration lock. */
const MIGRATION_LOCK = 4_711_001;

/**
 * Applies the migrations not applied yet, up to `upTo` (default: all; benchmarks compare
 * a schema before a migration with the one after).
 */
export async function migrate(db: Database, upTo = Infinity): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS kite_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = await tx.query<{ version: number }>('SELECT version FROM kite_migrations');
    const applied = new Set(done.rows.map((row) => row.version));
    const ran: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version) || migration.version > upTo) continue;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO kite_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      ran.push(migration.version);
    }
    return ran;
  });
}

/**
 * Splits a migration on the `-- statement` markers it is written with, so every
 * statement runs through the same parameterless `query` inside the transaction.
 */
function splitStatements(sql: string): string[] {
  return sql
    .split(/^-- statement$/m)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}
