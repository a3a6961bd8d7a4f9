/**
 * Keyset pages of `GET /api/v1/issues`: following `next` visits every issue exactly
 * once, newest first, even while issues are being written, and a cursor the server did
 * not issue is a 400 naming `cursor`. `offset` has an upper bound, past which the
 * answer is a 400 that points to `cursor` (docs/decisions/0036-deep-offsets-and-row-tests.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LIST_OFFSET } from '../../src/api/schemas.js';
import { useTestServer } from '../support/test-server.js';

const { server, api, onStart } = useTestServer();

interface IssuePage {
  data: { id: string; detectedAt: string }[];
  total: number;
  limit: number;
  offset: number;
  next: string | null;
}

/** Inserts `count` issues named `${prefix}-i`; `detectedAt` shared by threes (ties). */
async function insert(prefix: string, count: number, detectedAt: string): Promise<void> {
  await server.db.query(
    `INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace,
       title, description, severity, state, detected_at)
     SELECT 'paging', 'build', 'component', $1 || '-' || i, 'paging', 'Build failed', 'exit 1',
       'major', 'ACTIVE', ${detectedAt}
     FROM generate_series(1, $2::int) AS i`,
    [prefix, count],
  );
}

onStart(async () => {
  await insert('old', 61, `timestamptz '2026-12-01T00:00:00Z' - (i / 3) * interval '1 second'`);
});

describe('cursor pages', () => {
  it('following next visits every issue exactly once while issues are inserted', async () => {
    const existing = await server.db.query<{ id: string }>(
      `SELECT id FROM issues WHERE namespace = 'paging'`,
    );
    // Each page request races a round of writes: new issues in front of the cursor and
    // a back-dated one behind it (one per page of seven, so paging still ends).
    let round = 0;
    const writeRound = async () => {
      round += 1;
      await insert(`new${round}`, 2, 'now()');
      await insert(`back${round}`, 1, `timestamptz '2026-11-01T00:00:00Z'`);
    };

    const seen: string[] = [];
    const pages: IssuePage[] = [];
    let cursor = '';
    do {
      const [answer] = await Promise.all([
        api.get<IssuePage>(`/api/v1/issues?namespace=paging&limit=7&cursor=${cursor}`),
        writeRound(),
      ]);
      assert.equal(answer.status, 200);
      pages.push(answer.body);
      seen.push(...answer.body.data.map((issue) => issue.id));
      cursor = answer.body.next ?? '';
    } while (cursor && pages.length < 1000);

    assert.ok(round > 1, 'the writer ran while paging');
    assert.equal(new Set(seen).size, seen.length, 'no issue is on two pages');
    const missing = existing.rows.map((row) => row.id).filter((id) => !seen.includes(id));
    assert.deepEqual(missing, [], 'every issue there at the start is on some page');
    for (const page of pages.slice(0, -1)) assert.equal(page.data.length, 7);
    assert.equal(pages.at(-1)?.next, null);
    // Newest first throughout, the id breaking ties.
    const keys = pages.flatMap((page) => page.data);
    for (let k = 1; k < keys.length; k += 1) {
      const [a, b] = [keys[k - 1], keys[k]];
      assert.ok(a && b);
      const order = Date.parse(b.detectedAt) - Date.parse(a.detectedAt) || (b.id < a.id ? -1 : 1);
      assert.ok(order < 0, `${a.detectedAt} ${a.id} before ${b.detectedAt} ${b.id}`);
    }
  });

  it('the first page answers the v1 shape with a next cursor; the last page has none', async () => {
    const first = await api.get<IssuePage>('/api/v1/issues?namespace=nobody-here&limit=5');
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, { data: [], total: 0, limit: 5, offset: 0, next: null });
    const full = await api.get<IssuePage>('/api/v1/issues?namespace=paging&limit=5');
    assert.equal(full.status, 200);
    assert.equal(typeof full.body.next, 'string');
    assert.equal(full.body.offset, 0);
  });

  it('a malformed cursor answers 400 naming cursor', async () => {
    const valid = Buffer.from(
      JSON.stringify(['2026-12-01T00:00:00+00:00', '7c9e6679-7425-40de-944b-e07fc1f90ae7']),
    ).toString('base64url');
    for (const cursor of [
      'not a cursor',
      'bm90IGpzb24',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('["yesterday","7c9e6679-7425-40de-944b-e07fc1f90ae7"]').toString('base64url'),
      Buffer.from('["2026-12-01T00:00:00Z","42"]').toString('base64url'),
      'A'.repeat(201),
    ]) {
      const answer = await api.get(`/api/v1/issues?cursor=${encodeURIComponent(cursor)}`);
      assert.equal(answer.status, 400, cursor);
      assert.match(answer.body.error, /cursor/, cursor);
    }
    const both = await api.get(`/api/v1/issues?cursor=${valid}&offset=10`);
    assert.equal(both.status, 400);
    assert.match(both.body.error, /cursor/);
    const ok = await api.get<IssuePage>(`/api/v1/issues?cursor=${valid}&offset=0`);
    assert.equal(ok.status, 200);
  });

  it('an offset past the bound answers 400 pointing to cursor; up to it, pages', async () => {
    const deepest = await api.get<IssuePage>(`/api/v1/issues?offset=${MAX_LIST_OFFSET}`);
    assert.equal(deepest.status, 200);
    assert.deepEqual([deepest.body.offset, deepest.body.data.length], [MAX_LIST_OFFSET, 0]);
    for (const offset of [MAX_LIST_OFFSET + 1, 900_000, 1_000_001]) {
      const answer = await api.get<{ error: string; details: unknown }>(
        `/api/v1/issues?offset=${offset}&limit=20`,
      );
      assert.equal(answer.status, 400, String(offset));
      assert.match(answer.body.error, /^offset: at most 10000; .*cursor.*"next"/);
      assert.deepEqual(answer.body.details, { field: 'offset', max: MAX_LIST_OFFSET });
    }
    // konflux-ui's requests: the first page (`offset=` empty or absent) and its infinite
    // list's pages of 20 (`offset` = the issues it has so far).
    for (const query of [
      'offset=&limit=20',
      'limit=20',
      'offset=20&limit=20',
      'offset=40&limit=20',
    ]) {
      const answer = await api.get<IssuePage>(`/api/v1/issues?namespace=paging&${query}`);
      assert.equal(answer.status, 200, query);
    }
    const second = await api.get<IssuePage>('/api/v1/issues?namespace=paging&offset=20&limit=20');
    const byCursor = await api.get<IssuePage>(
      `/api/v1/issues?namespace=paging&limit=20&cursor=${
        (await api.get<IssuePage>('/api/v1/issues?namespace=paging&limit=20')).body.next
      }`,
    );
    assert.deepEqual(
      second.body.data.map((issue) => issue.id),
      byCursor.body.data.map((issue) => issue.id),
    );
  });
});
