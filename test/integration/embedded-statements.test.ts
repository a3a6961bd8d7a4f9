/**
 * The embedded database runs statements at the protocol level
 * (docs/decisions/0039-embedded-prepared-statements.md): a statement the store names is
 * parsed once and kept prepared, as on the server PostgreSQL; results and errors are the
 * same as PGlite's own `query()` gives. Runs on PGlite whatever KITE_TEST_DB says.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase, type Database } from '../../src/store/database.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../src/store/pg-errors.js';

const TABLE = `CREATE TABLE t (
  id int PRIMARY KEY, v text NOT NULL, j jsonb, a text[], ts timestamptz, n numeric, b bool
)`;
const ROW = [
  1,
  'x',
  { k: [1, 'zwei ✓ ü'] },
  ['a', 'ß ✓'],
  new Date('2026-01-02T03:04:05.678Z'),
  1.5,
  true,
];
const INSERT = 'INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7)';
const SELECT = 'SELECT * FROM t WHERE id = $1 AND v = ANY($2::text[])';

interface Prepared {
  name: string;
  statement: string;
  generic_plans: number;
  custom_plans: number;
}

describe('embedded statements', () => {
  let db: Database;
  before(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
    await db.query(TABLE);
    await db.query(INSERT, ROW, 'kite_test_insert');
  });
  after(() => db.close());

  const prepared = async () =>
    (await db.query<Prepared>('SELECT * FROM pg_prepared_statements')).rows.filter(
      (row) => !row.statement.includes('pg_prepared_statements'),
    );

  it('keeps a named statement prepared: parsed once, then only bound and executed', async () => {
    for (let i = 0; i < 8; i++) await db.query(SELECT, [1, ['x']], 'kite_test_select');
    const kept = (await prepared()).filter((row) => row.statement === SELECT);
    assert.equal(kept.length, 1);
    assert.equal(kept[0]!.generic_plans + kept[0]!.custom_plans, 8);
  });

  it('keeps no statement it was not given a name for', async () => {
    await db.query('SELECT v FROM t WHERE id = $1', [1]);
    assert.ok((await prepared()).every((row) => row.statement !== 'SELECT v FROM t WHERE id = $1'));
  });

  it('gives the same rows and counts as PGlite query() for named and unnamed statements', async () => {
    const plain = await PGlite.create();
    try {
      await plain.query("SET TIME ZONE 'UTC'");
      await plain.query(TABLE);
      await plain.query(INSERT, ROW);
      const expected = await plain.query(SELECT, [1, ['x']]);
      for (const name of ['kite_test_select', undefined]) {
        const got = await db.query(SELECT, [1, ['x']], name);
        assert.deepEqual(got.rows, expected.rows);
        assert.equal(got.rowCount, expected.affectedRows);
      }
      const updated = await db.query('UPDATE t SET b = $1 WHERE id = $2', [true, 1], 'kite_test_u');
      assert.equal(updated.rowCount, 1);
    } finally {
      await plain.close();
    }
  });

  it('surfaces PostgreSQL errors with their SQLSTATE, named or not, and recovers', async () => {
    for (const name of ['kite_test_insert', undefined]) {
      await assert.rejects(db.query(INSERT, ROW, name), (error) => isUniqueViolation(error));
    }
    await assert.rejects(db.query('SELEC 1', [], 'kite_test_bad'), { code: '42601' });
    await db.query('CREATE TABLE c (id int REFERENCES t (id))');
    await assert.rejects(db.query('INSERT INTO c VALUES ($1)', [99], 'kite_test_c'), (error) =>
      isForeignKeyViolation(error),
    );
    assert.equal((await db.query('SELECT count(*)::int AS n FROM t')).rows[0]?.['n'], 1);
  });

  it('rolls a failed transaction back and keeps the statements it prepared', async () => {
    const inTx = 'SELECT v FROM t WHERE id = $1 AND v <> $2';
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query(INSERT, [2, 'y', null, null, null, null, null], 'kite_test_insert');
        await tx.query(inTx, [2, 'q'], 'kite_test_in_tx');
        await tx.query(INSERT, ROW, 'kite_test_insert');
      }),
      (error) => isUniqueViolation(error),
    );
    assert.equal((await db.query('SELECT count(*)::int AS n FROM t')).rows[0]?.['n'], 1);
    assert.deepEqual((await db.query(inTx, [1, 'q'], 'kite_test_in_tx')).rows, [{ v: 'x' }]);
  });

  it('delivers notifications once, from statements outside and inside a transaction', async () => {
    const heard: string[] = [];
    const stop = await db.listen('kite_test_channel', (payload) => heard.push(payload));
    try {
      await db.query('SELECT pg_notify($1, $2)', ['kite_test_channel', 'alone'], 'kite_test_n');
      await db.transaction(async (tx) => {
        await tx.query('SELECT pg_notify($1, $2)', ['kite_test_channel', 'in tx'], 'kite_test_n');
      });
      await db.query('SELECT pg_notify($1, $2)', ['kite_test_channel', 'unnamed']);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(heard, ['alone', 'in tx', 'unnamed']);
    } finally {
      await stop();
    }
  });

  it('parses a kept statement again when a schema change alters its columns', async () => {
    await db.query(SELECT, [1, ['x']], 'kite_test_select');
    await db.query('ALTER TABLE t ADD COLUMN extra int');
    const after = await db.query(SELECT, [1, ['x']], 'kite_test_select');
    assert.equal(after.rows[0]?.['extra'], null);
    assert.ok('extra' in (after.rows[0] ?? {}));
  });
});
