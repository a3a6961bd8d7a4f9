/**
 * The MintMaker log archive on the suite's database: chunked, compressed, in step order,
 * capped by dropping the oldest chunks, and pruned by age and by runs kept per component.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogArchive, CHUNK_BYTES, type LogArchive } from '../../src/logs/archive.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';
import { createTestDatabase, type TestDatabase } from '../support/test-server.js';

let database: TestDatabase;
let db: Database;
let archive: LogArchive;

before(async () => {
  database = await createTestDatabase();
  db = await openDatabase(database.url ? { url: database.url } : { dataDir: 'memory://' });
  await migrate(db);
  archive = createLogArchive(db);
});
after(async () => {
  await db.close();
  await database.drop();
});

let runs = 0;
const run = (component: string, completedMinute: number, namespace = 'team-a') =>
  archive.saveRun({
    runNamespace: 'mintmaker',
    name: `renovate-${++runs}`,
    uid: `uid-${runs}`,
    namespace,
    component,
    gitHost: null,
    repository: null,
    branch: null,
    repoBranchHash: null,
    status: 'Failed',
    startTime: null,
    completionTime: new Date(Date.UTC(2026, 10, 1, 0, completedMinute)).toISOString(),
  });

async function readAll(runId: string, step?: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of archive.read(runId, step)) parts.push(chunk.data);
  return Buffer.concat(parts).toString('utf8');
}

/** What uploads of a run left behind: chunks written aside, claims not given up. */
async function leftovers(runId: string): Promise<{ aside: number; claims: number }> {
  const result = await db.query<{ aside: string | number; claims: string | number }>(
    `SELECT (SELECT count(*) FROM mintmaker_log_chunks WHERE run_id = $1 AND seq < 0) AS aside,
            (SELECT count(*) FROM mintmaker_log_uploads WHERE run_id = $1) AS claims`,
    [runId],
  );
  return { aside: Number(result.rows[0]?.aside), claims: Number(result.rows[0]?.claims) };
}

/**
 * A point where an upload's source waits: `reached` once it waits there (everything it
 * gave before is written), until `release`.
 */
function paused() {
  let reach: () => void = () => undefined;
  let release: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    reached,
    release: () => release(),
    here: () => {
      reach();
      return released;
    },
  };
}

function* lines(prefix: string, count: number) {
  for (let i = 0; i < count; i += 1) yield `${prefix} line ${i} ${'x'.repeat(60)}\n`;
}

describe('the MintMaker log archive', () => {
  it('stores steps in order across many chunks and reads them back byte for byte', async () => {
    const saved = await run('a', 1);
    const first = [...lines('prefetch', 8000)].join('');
    const second = [...lines('renovate', 100)].join('');
    await archive.writeStep(
      saved.id,
      { position: 1, task: 'renovate', step: 'run' },
      lines('renovate', 100),
      50e6,
    );
    await archive.writeStep(
      saved.id,
      { position: 0, task: 'prepare', step: 'prefetch' },
      lines('prefetch', 8000),
      50e6,
    );
    assert.ok(first.length > 2 * CHUNK_BYTES, 'the test log spans several chunks');
    assert.equal(await readAll(saved.id), first + second);
    assert.equal(await readAll(saved.id, 'renovate/run'), second);
    assert.equal(await readAll(saved.id, 'prefetch'), first);
    assert.deepEqual(
      (await archive.steps(saved.id)).map((s) => [s.task, s.step, s.bytes]),
      [
        ['prepare', 'prefetch', first.length],
        ['renovate', 'run', second.length],
      ],
    );
    const found = await archive.findRun('mintmaker', saved.name);
    assert.equal(found?.logBytes, first.length + second.length);
    assert.equal(found?.truncated, false);
  });

  it('reads a log back whole and in order whatever its count of chunks (each edge of the read batches)', async () => {
    // Read batches of 2, then 8: counts on each side of where a batch ends and the next
    // query finds nothing, or one chunk more.
    for (const [index, chunks] of [1, 2, 3, 10, 11, 18, 19].entries()) {
      const saved = await run(`edges-${chunks}`, 40 + index, 'team-edges');
      const size = chunks * CHUNK_BYTES - (chunks === 3 ? 1 : 0);
      const numbered = [...lines(`n${chunks}`, Math.ceil(size / 70))].join('');
      const text = numbered.slice(0, size);
      await archive.writeStep(
        saved.id,
        { position: 0, task: 'renovate', step: 'run' },
        [text.slice(0, size >> 1), text.slice(size >> 1)],
        50e6,
      );
      const read = await readAll(saved.id);
      assert.equal(read.length, text.length, `${chunks} chunks: the length`);
      assert.ok(read === text, `${chunks} chunks: the bytes, in order`);
    }
  });

  it('uploading a step again replaces it', async () => {
    const saved = await run('b', 1);
    await archive.writeStep(saved.id, { position: 0, task: 't', step: 's' }, ['old text\n'], 1e6);
    await archive.writeStep(saved.id, { position: 0, task: 't', step: 's' }, ['new text\n'], 1e6);
    assert.equal(await readAll(saved.id), 'new text\n');
  });

  it('an upload that fails midway leaves the step as it was, and nothing of itself', async () => {
    const saved = await run('b2', 1);
    const step = { position: 0, task: 't', step: 's' };
    await archive.writeStep(saved.id, step, ['old text\n'], 1e6);
    const chunksBefore = await db.query('SELECT seq FROM mintmaker_log_chunks WHERE run_id = $1', [
      saved.id,
    ]);
    let readMidway = '';
    async function* cutShort() {
      // Three chunks' worth reach the archive before the upload breaks.
      yield* lines('new', 12_000);
      readMidway = await readAll(saved.id);
      throw new Error('the connection broke');
    }
    await assert.rejects(archive.writeStep(saved.id, step, cutShort(), 1e6), /connection broke/);
    assert.equal(readMidway, 'old text\n', 'readers never see a step half written');
    assert.equal(await readAll(saved.id), 'old text\n');
    const chunksAfter = await db.query('SELECT seq FROM mintmaker_log_chunks WHERE run_id = $1', [
      saved.id,
    ]);
    assert.deepEqual(chunksAfter.rows, chunksBefore.rows);
    const found = await archive.findRun('mintmaker', saved.name);
    assert.equal(found?.logBytes, 'old text\n'.length);
  });

  it('of two uploads of one step at once, the second is refused and the first is stored whole', async () => {
    const saved = await run('b3', 1);
    const step = { position: 0, task: 't', step: 's' };
    await archive.writeStep(saved.id, step, ['old text\n'], 50e6);
    const pause = paused();
    async function* first() {
      // Two chunks' worth are written aside, then the upload waits (as a slow client would).
      yield* lines('first', 8000);
      await pause.here();
      yield* lines('first again', 8000);
    }
    const firstUpload = archive.writeStep(saved.id, step, first(), 50e6);
    await pause.reached;
    await assert.rejects(
      archive.writeStep(saved.id, step, lines('second', 8000), 50e6),
      (error: Error) => error.name === 'ConflictError' && /in progress/.test(error.message),
    );
    assert.equal(await readAll(saved.id), 'old text\n', 'nothing changed while the first goes on');
    pause.release();
    const stored = await firstUpload;
    const expected = [...lines('first', 8000), ...lines('first again', 8000)].join('');
    assert.equal(stored.bytes, expected.length);
    assert.equal(await readAll(saved.id), expected);
    assert.equal((await archive.findRun('mintmaker', saved.name))?.logBytes, expected.length);
    assert.deepEqual(await leftovers(saved.id), { aside: 0, claims: 0 });
  });

  it('an upload that stalled past its claim is taken over, and stops without touching the new log', async () => {
    const saved = await run('b4', 1);
    const step = { position: 0, task: 't', step: 's' };
    const pause = paused();
    async function* stalled() {
      yield* lines('stalled', 8000);
      await pause.here();
      yield* lines('stalled again', 8000);
    }
    const stalledUpload = archive.writeStep(saved.id, step, stalled(), 50e6);
    await pause.reached;
    // As if its process had died: the claim was last renewed long ago.
    await db.query(
      "UPDATE mintmaker_log_uploads SET renewed_at = now() - interval '1 hour' WHERE run_id = $1",
      [saved.id],
    );
    await archive.writeStep(saved.id, step, lines('new', 8000), 50e6);
    pause.release();
    await assert.rejects(
      stalledUpload,
      (error: Error) => error.name === 'ConflictError' && /took over/.test(error.message),
    );
    const expected = [...lines('new', 8000)].join('');
    assert.equal(await readAll(saved.id), expected);
    assert.equal((await archive.findRun('mintmaker', saved.name))?.logBytes, expected.length);
    assert.deepEqual(await leftovers(saved.id), { aside: 0, claims: 0 });
  });

  it('a run over the size cap keeps its tail and says it was truncated', async () => {
    const saved = await run('c', 1);
    const cap = 2 * CHUNK_BYTES;
    const text = [...lines('big', 12_000)].join('');
    await archive.writeStep(saved.id, { position: 0, task: 't', step: 's' }, [text], cap);
    const kept = await readAll(saved.id);
    assert.ok(kept.length <= cap && kept.length > 0, `kept ${kept.length}`);
    assert.ok(text.endsWith(kept), 'what is kept is the end of the log');
    const found = await archive.findRun('mintmaker', saved.name);
    assert.equal(found?.truncated, true);
    assert.equal(found?.logBytes, kept.length);
  });

  it('lists runs of the given namespaces, newest first, with a total', async () => {
    await run('list-x', 5, 'team-list');
    await run('list-x', 9, 'team-list');
    await run('list-y', 7, 'team-list');
    await run('list-x', 8, 'team-other');
    const page = await archive.listRuns({ namespaces: ['team-list'] }, { limit: 2, offset: 0 });
    assert.equal(page.total, 3);
    assert.deepEqual(
      page.data.map((r) => r.completionTime),
      ['2026-11-01T00:09:00+00:00', '2026-11-01T00:07:00+00:00'],
    );
    const onlyX = await archive.listRuns(
      { namespaces: ['team-list'], component: 'list-x' },
      { limit: 10, offset: 0 },
    );
    assert.equal(onlyX.total, 2);
  });

  it('retention removes old runs and all but the newest per component, and nothing else', async () => {
    const keep = await run('ret', 30, 'team-ret');
    const older = await run('ret', 20, 'team-ret');
    const oldest = await run('ret', 10, 'team-ret');
    const other = await run('ret-other', 10, 'team-ret');
    await archive.writeStep(oldest.id, { position: 0, task: 't', step: 's' }, ['x\n'], 1e6);
    await db.query(
      `UPDATE mintmaker_runs SET archived_at = now() - interval '40 days' WHERE id = $1`,
      [other.id],
    );
    const before = await archive.listRuns({}, { limit: 1000, offset: 0 });
    const removed = await archive.prune({
      olderThan: new Date(Date.now() - 30 * 86_400_000),
      keepPerComponent: 2,
    });
    const after = await archive.listRuns({}, { limit: 1000, offset: 0 });
    const ids = new Set(after.data.map((r) => r.id));
    assert.ok(ids.has(keep.id) && ids.has(older.id), 'the newest two of the component stay');
    assert.ok(!ids.has(oldest.id), 'the third newest goes');
    assert.ok(!ids.has(other.id), 'a run older than the retention goes');
    assert.equal(removed, 2);
    assert.equal(after.total, before.total - 2, 'nothing else is removed');
    const chunks = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM mintmaker_log_chunks WHERE run_id = $1',
      [oldest.id],
    );
    assert.equal(chunks.rows[0]?.n, 0, 'its logs go with it');
  });

  it('dropping a run takes its logs; only while it is recorded for the namespace given; an upload after it is a 404', async () => {
    const saved = await run('dropped', 1, 'team-z');
    await archive.writeStep(saved.id, { position: 0, task: 't', step: 's' }, ['planted\n'], 1e6);
    await archive.dropRun(saved.id, 'team-a');
    assert.ok(await archive.findRun('mintmaker', saved.name), 'kept: recorded for team-z');
    await archive.dropRun(saved.id, 'team-z');
    assert.equal(await archive.findRun('mintmaker', saved.name), undefined);
    assert.deepEqual(await leftovers(saved.id), { aside: 0, claims: 0 });
    const chunks = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM mintmaker_log_chunks WHERE run_id = $1',
      [saved.id],
    );
    assert.equal(chunks.rows[0]?.n, 0);
    await assert.rejects(
      archive.writeStep(saved.id, { position: 0, task: 't', step: 's' }, ['late\n'], 1e6),
      { name: 'NotFoundError', message: 'MintMaker run not found' },
    );
  });
});
