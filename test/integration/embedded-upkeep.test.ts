/**
 * The embedded database has no autovacuum, so KITE runs its rules itself
 * (docs/decisions/0046-embedded-upkeep.md): tables over autovacuum's thresholds are
 * vacuumed and analyzed, never-analyzed tables analyzed, quiet tables left alone; on a
 * server PostgreSQL nothing is scheduled. Runs on PGlite whatever KITE_TEST_DB says.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Database } from '../../src/store/database.js';
import { dueTables, scheduleEmbeddedUpkeep, upkeepOnce } from '../../src/store/embedded-upkeep.js';

interface Stats {
  relname: string;
  n_dead_tup: number;
  n_mod_since_analyze: number;
  last_vacuum: Date | null;
  last_analyze: Date | null;
}

describe('embedded upkeep', () => {
  let db: Database;
  const stats = async (table: string) =>
    (
      await db.query<Stats>(
        `SELECT relname, n_dead_tup::int, n_mod_since_analyze::int, last_vacuum, last_analyze
         FROM pg_stat_user_tables WHERE relname = $1`,
        [table],
      )
    ).rows[0]!;

  // PostgreSQL publishes a backend's table counters at most once a second.
  const published = async (what: string, ok: (s: Stats) => boolean, table: string) => {
    for (let waited = 0; !ok(await stats(table)); waited += 100) {
      assert.ok(waited < 10_000, `the table counters never showed ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  before(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
    await db.query('CREATE TABLE churned (id int PRIMARY KEY, v text)');
    await db.query('CREATE TABLE quiet (id int PRIMARY KEY, v text)');
    await db.query("INSERT INTO churned SELECT g, 'a' FROM generate_series(1, 2000) g");
    await db.query("INSERT INTO quiet SELECT g, 'a' FROM generate_series(1, 2000) g");
    await published('the inserts', (s) => s.n_mod_since_analyze === 2000, 'quiet');
    // The first pass analyzes both (never analyzed); afterwards only changes count.
    await upkeepOnce(db);
    await db.query("UPDATE churned SET v = 'b' WHERE id <= 1000");
    await db.query("UPDATE quiet SET v = 'b' WHERE id <= 10");
    await published('the updates', (s) => s.n_mod_since_analyze === 10, 'quiet');
  });
  after(() => db.close());

  it('vacuums and analyzes a table whose dead rows pass autovacuum’s threshold', async () => {
    const pass = await upkeepOnce(db);
    assert.deepEqual(pass.vacuumed, ['churned']);
    const churned = await stats('churned');
    assert.ok(churned.last_vacuum, 'churned was not vacuumed');
    assert.equal(churned.n_dead_tup, 0);
    assert.equal(churned.n_mod_since_analyze, 0);
  });

  it('leaves a table alone while its changes stay under the thresholds', async () => {
    const quiet = await stats('quiet');
    assert.equal(quiet.last_vacuum, null);
    assert.equal(quiet.n_mod_since_analyze, 10);
  });

  it('analyzes a table that was never analyzed, even when empty', () => {
    const table = { live: 0, dead: 0, modified: 0, tuples: -1 };
    assert.deepEqual(dueTables([{ name: 'new', ...table }]), { vacuumed: [], analyzed: ['new'] });
    const settled = { name: 'settled', live: 1000, dead: 0, modified: 100, tuples: 1000 };
    assert.deepEqual(dueTables([settled]), { vacuumed: [], analyzed: [] });
    assert.deepEqual(dueTables([{ ...settled, modified: 151 }]).analyzed, ['settled']);
    assert.deepEqual(dueTables([{ ...settled, dead: 251 }]).vacuumed, ['settled']);
  });

  it('schedules nothing on a server PostgreSQL', async () => {
    const server = { kind: 'postgres' } as unknown as Database;
    const log = { info: () => assert.fail('logged'), error: () => assert.fail('logged') };
    await scheduleEmbeddedUpkeep(server, 1, log)();
  });
});
