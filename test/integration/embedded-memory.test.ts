/**
 * The embedded database's memory (docs/decisions/0034-embedded-memory.md): PGlite lives
 * in the server's WebAssembly heap, which never shrinks, so its PostgreSQL settings
 * bound the trial server's resident memory. Runs on PGlite whatever KITE_TEST_DB says.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openDatabase } from '../../src/store/database.js';

const run = promisify(execFile);

/**
 * Opens the embedded database in the folder given as argument, in a fresh process, and
 * reports how much RSS that added.
 */
const OPEN_AND_MEASURE = `
const { openDatabase } = await import(${JSON.stringify(new URL('../../src/store/database.ts', import.meta.url).href)});
const before = process.memoryUsage().rss;
const db = await openDatabase({ dataDir: process.argv.at(-1) });
await db.query('SELECT 1');
console.log(JSON.stringify({ addedMiB: (process.memoryUsage().rss - before) / 2 ** 20 }));
await db.close();
`;

/**
 * Prepares a fresh folder as the server does (prepareEmbedded), then opens it, in a fresh
 * process; reports the RSS that added and the migrations the preparing applied.
 */
const PREPARE_OPEN_AND_MEASURE = `
const { prepareEmbedded } = await import(${JSON.stringify(new URL('../../src/store/embedded-prepare.ts', import.meta.url).href)});
const { openDatabase } = await import(${JSON.stringify(new URL('../../src/store/database.ts', import.meta.url).href)});
const before = process.memoryUsage().rss;
const { applied, peakMiB: childPeakMiB } = await prepareEmbedded(process.argv.at(-1));
const preparedMiB = (process.memoryUsage().rss - before) / 2 ** 20;
const db = await openDatabase({ dataDir: process.argv.at(-1) });
const done = await db.query('SELECT max(version) AS v FROM kite_migrations');
console.log(JSON.stringify({ preparedMiB, childPeakMiB, addedMiB: (process.memoryUsage().rss - before) / 2 ** 20, applied, newest: done.rows[0].v }));
await db.close();
`;

describe('embedded database memory', () => {
  it('runs PostgreSQL with a 32 MB buffer pool and 16 MB for index builds', async () => {
    const db = await openDatabase({ dataDir: 'memory://' });
    try {
      const shown = await db.query<{ shared_buffers: string }>('SHOW shared_buffers');
      assert.equal(shown.rows[0]?.shared_buffers, '32MB');
      const maintenance = await db.query<{ maintenance_work_mem: string }>(
        'SHOW maintenance_work_mem',
      );
      assert.equal(maintenance.rows[0]?.maintenance_work_mem, '16MB');
    } finally {
      await db.close();
    }
  });

  it('adds less than 170 MB of resident memory when it opens (the 128 MB pool added 225)', async () => {
    // A data folder created beforehand, as a server finds it on every start but the first.
    const folder = await mkdtemp(join(tmpdir(), 'kite-embedded-memory-'));
    let stdout: string;
    try {
      await (await openDatabase({ dataDir: folder })).close();
      // Created with the same pool: initdb runs PostgreSQL too, with 128 MB by default.
      const conf = await readFile(join(folder, 'postgresql.conf'), 'utf8');
      assert.match(conf, /^shared_buffers = 32MB/m);
      assert.match(conf, /^maintenance_work_mem = 16MB/m);
      ({ stdout } = await run(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', OPEN_AND_MEASURE, folder],
        { cwd: new URL('../..', import.meta.url) },
      ));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    const { addedMiB } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      addedMiB: number;
    };
    assert.ok(addedMiB < 170, `opening the embedded database added ${addedMiB.toFixed(0)} MiB`);
  });

  it('a first start creates and migrates the folder in a child process, so the server keeps none of that memory', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'kite-embedded-first-'));
    let stdout: string;
    try {
      ({ stdout } = await run(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          PREPARE_OPEN_AND_MEASURE,
          join(folder, 'pg'),
        ],
        { cwd: new URL('../..', import.meta.url) },
      ));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    const measured = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      preparedMiB: number;
      childPeakMiB: number;
      addedMiB: number;
      applied: number[];
      newest: number;
    };
    assert.equal(measured.applied[0], 1, 'the child applied every migration from the first');
    assert.equal(measured.newest, measured.applied.at(-1));
    // Created and migrated in this process instead, the preparing added 337 MiB on Node 20
    // and 601 MiB on Node 24, and opening afterwards left 287 and 312 MiB in all.
    assert.ok(
      measured.preparedMiB < 60,
      `preparing the folder added ${measured.preparedMiB.toFixed(0)} MiB to the server`,
    );
    assert.ok(measured.addedMiB < 260, `the first start added ${measured.addedMiB.toFixed(0)} MiB`);
    // The child itself: 764–781 MiB on Node 20 under tsx (807–818 while initdb ran with
    // PostgreSQL's 128 MB pool), 1,084–1,127 MiB on Node 24; most of it is PGlite's
    // initdb, which runs a second PGlite instance and keeps a copy of its heap. It exits
    // before the server opens the folder.
    const childBound = Number(process.versions.node.split('.')[0]) >= 22 ? 1250 : 900;
    assert.ok(
      measured.childPeakMiB > 0 && measured.childPeakMiB < childBound,
      `the child preparing the folder peaked at ${measured.childPeakMiB.toFixed(0)} MiB`,
    );
  });
});
