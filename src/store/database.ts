/**
 * One interface over the two PostgreSQL drivers: a server PostgreSQL through `pg`, or
 * the embedded PGlite (PostgreSQL compiled to WebAssembly). Everything above this file
 * writes the same SQL for both; only connection handling and LISTEN differ.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import pg from 'pg';
import { embeddedStatements } from './embedded-statements.js';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  /**
   * Runs one statement. `name` makes the server PostgreSQL keep it prepared per
   * connection (planned once, not on every call); give it only to statements whose text
   * is fixed or comes from a small set, since prepared statements are never evicted.
   */
  query<R = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    name?: string,
  ): Promise<QueryResult<R>>;
}

export interface Database extends Queryable {
  readonly kind: 'embedded' | 'postgres';
  /** The connections held now (health reports them): open, idle among them, and the cap. */
  connections(): { open: number; idle: number; max: number };
  /** Runs `fn` in one transaction: all of its statements commit, or none do. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on `channel`; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A `postgres://` URL selects a server PostgreSQL; otherwise PGlite is used. */
  url?: string;
  /**
   * Where LISTEN connects (default: `url`): the server itself when `url` is a pooler in
   * transaction mode, which cannot hold a LISTEN between transactions.
   */
  listenUrl?: string;
  /** PGlite data folder; `memory://` keeps it in memory (tests). */
  dataDir?: string;
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url)
    return openPostgres(options.url, options.poolSize ?? 10, options.listenUrl ?? options.url);
  return openEmbedded(options.dataDir ?? '.kite/data');
}

function openPostgres(url: string, poolSize: number, listenUrl: string): Database {
  // Sessions run in UTC so timestamps render as `…+00:00` whatever the server's zone.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: '-c TimeZone=UTC' });
  // An idle client that loses its connection emits 'error'; the pool replaces it.
  pool.on('error', () => undefined);
  const query = async <R>(
    sql: string,
    params?: unknown[],
    name?: string,
  ): Promise<QueryResult<R>> => {
    const result = await pool.query(
      name ? { name, text: sql, values: params } : { text: sql, values: params },
    );
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  };
  return {
    kind: 'postgres',
    query,
    connections: () => ({ open: pool.totalCount, idle: pool.idleCount, max: poolSize }),

    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          query: async <R>(sql: string, params?: unknown[], name?: string) => {
            const result = await client.query(
              name ? { name, text: sql, values: params } : { text: sql, values: params },
            );
            return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
          },
        };
        const value = await fn(tx);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload) {
      // LISTEN needs a dedicated connection outside the pool.
      const client = new pg.Client({ connectionString: listenUrl });
      client.on('error', () => undefined);
      await client.connect();
      client.on('notification', (message) => {
        if (message.channel === channel && message.payload) onPayload(message.payload);
      });
      await client.query(`LISTEN ${quoteIdent(channel)}`);
      return async () => {
        await client.end().catch(() => undefined);
      };
    },
    close: once(() => pool.end()),
  };
}

async function openEmbedded(dataDir: string): Promise<Database> {
  const inMemory = dataDir === 'memory://';
  if (!inMemory) await mkdir(dataDir, { recursive: true });
  // pg_trgm backs the search indexes (migration 7); PGlite loads extensions at start.
  const db = await PGlite.create(inMemory ? undefined : dataDir, {
    extensions: { pg_trgm },
    // Creating a folder (initdb) runs PostgreSQL with the same pool, not its default 128 MB.
    initDbStartParams: EMBEDDED_SETTINGS.flatMap((s) => ['--set', s]),
    startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS.flatMap((s) => ['-c', s])],
  });
  await db.query("SET TIME ZONE 'UTC'");
  // Statements run at the protocol level, named ones kept prepared (embedded-statements.ts).
  // Notifications of statements run at the protocol level reach their listeners here;
  // PGlite delivers those of the statements it runs itself (COMMIT) to the same callbacks.
  const listeners = new Map<string, Set<(payload: string) => void>>();
  const statements = embeddedStatements(db, (channel, payload) => {
    for (const listener of listeners.get(channel) ?? []) queueMicrotask(() => listener(payload));
  });
  // PGlite is one in-process connection: idle when no statement is running on it.
  let running = 0;
  const run = async <R>(
    sql: string,
    params?: unknown[],
    name?: string,
  ): Promise<QueryResult<R>> => {
    await db._checkReady();
    running += 1;
    try {
      // PGlite's own lock for one statement at a time on its one connection.
      const result = await db.runExclusive(() => statements.run(sql, params, name !== undefined));
      return { rows: result.rows as R[], rowCount: result.affectedRows };
    } finally {
      running -= 1;
    }
  };
  return {
    kind: 'embedded',
    // Outside a transaction: wait for any transaction to end, as PGlite's query() does,
    // and write through to the data folder afterwards.
    query: <R>(sql: string, params?: unknown[], name?: string) =>
      db._runExclusiveTransaction(async () => {
        const result = await run<R>(sql, params, name);
        await db.syncToFs();
        return result;
      }),
    connections: () => {
      const open = db.closed ? 0 : 1;
      return { open, idle: running === 0 ? open : 0, max: 1 };
    },

    transaction: (fn) =>
      db.transaction(async () => {
        // As PGlite's own transaction object: no statement once the transaction has ended.
        let open = true;
        const query: Queryable['query'] = (sql, params, name) =>
          open ? run(sql, params, name) : Promise.reject(new Error('Transaction is closed'));
        try {
          return await fn({ query });
        } finally {
          open = false;
        }
      }),
    async listen(channel, onPayload) {
      const unsubscribe = await db.listen(channel, onPayload);
      const mine = listeners.get(channel) ?? new Set();
      listeners.set(channel, mine.add(onPayload));
      return async () => {
        mine.delete(onPayload);
        // After close() there is nothing left to unsubscribe from.
        await unsubscribe().catch(() => undefined);
      };
    },
    close: once(() => db.close()),
  };
}

/**
 * PostgreSQL settings of the embedded database (docs/decisions/0034-embedded-memory.md).
 * PGlite's memory is the server process's WebAssembly heap: what PostgreSQL touches
 * there stays resident for the life of the process, since WebAssembly memory never
 * shrinks. The 128 MB default buffer pool is touched at start and alone took a 100k-issue
 * trial server past 400 MB; the data files stay in the operating system's page cache
 * either way, so a smaller pool costs a copy per page read, not a disk read. Index builds
 * (migrations) are bounded the same way.
 */
export const EMBEDDED_SETTINGS = ['shared_buffers=32MB', 'maintenance_work_mem=16MB'];

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Closing twice is harmless (shutdown paths may overlap). */
function once(fn: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= fn());
}

/**
 * Whether an error means "the database cannot be reached" (as opposed to a bad query):
 * network errors, SQLSTATE classes 08 (connection) and 57P (shutdown), 53300 (the server
 * has no connection slot left: busy, not broken), a closed pool or a closed embedded
 * database. The API answers those 503 instead of 500.
 */
/**
 * Queries `replica`, or `primary` when the replica cannot be reached (down, restarting,
 * out of connections): a lagging copy is a speed-up, never a single point of failure.
 */
export function orPrimary(replica: Queryable, primary: Queryable): Queryable {
  return {
    query: <R>(sql: string, params?: unknown[], name?: string) =>
      replica.query<R>(sql, params, name).catch((error: unknown) => {
        if (!isUnavailable(error)) throw error;
        return primary.query<R>(sql, params, name);
      }),
  };
}

export function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
  const message = error instanceof Error ? error.message : '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'].includes(
      code,
    ) ||
    code.startsWith('08') ||
    code.startsWith('57P') ||
    code === '53300' ||
    /pool after calling end|PGlite is closed|Connection terminated/i.test(message)
  );
}
