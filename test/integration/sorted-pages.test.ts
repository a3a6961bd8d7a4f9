/**
 * `GET /api/v1/issues?sort=…` (docs/decisions/0049-issue-list-sorts.md): each order
 * answers what sorting every issue in JavaScript gives, following `next` visits every
 * issue exactly once while issues are being written, `offset` pages match cursor pages,
 * totals do not depend on the order, an order the server does not offer is a 400 that
 * lists the ones it does, and a cursor is only valid with the order it was issued for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_SEVERITY_OFFSET } from '../../src/api/schemas.js';
import { useTestServer } from '../support/test-server.js';

const { server, api, onStart } = useTestServer();

interface Row {
  id: string;
  detectedAt: string;
  severity: string;
}
interface IssuePage {
  data: Row[];
  total: number;
  totalIsEstimate?: true;
  limit: number;
  offset: number;
  next: string | null;
}

const NS = 'sorting';
const WORST_FIRST = ['critical', 'major', 'minor', 'info'];
/** `labelSelector=team=a`: a filter the counts table does not answer. */
const LABELLED = 'labelSelector=team%3Da';

/**
 * Inserts `count` issues named `${prefix}-i` with the severity `severity` (SQL over i)
 * and the detection time `detectedAt` (SQL over i); half carry the label team=a.
 */
async function insert(
  prefix: string,
  count: number,
  detectedAt: string,
  severity = `(ARRAY['info','minor','major','critical'])[1 + (i * 7 / 3) % 4]`,
): Promise<void> {
  await server.db.query(
    `INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace,
       title, description, severity, state, labels, detected_at)
     SELECT $3, 'build', 'component', $1 || '-' || i, $3, 'Build failed', 'exit 1',
       ${severity}, CASE WHEN i % 5 = 0 THEN 'RESOLVED' ELSE 'ACTIVE' END,
       jsonb_build_object('team', CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END), ${detectedAt}
     FROM generate_series(1, $2::int) AS i`,
    [prefix, count, NS],
  );
}

onStart(async () => {
  // Detection times shared by threes (ties broken by id), severities mixed; no `info`
  // issue is resolved, so `state=RESOLVED` has a severity with no issues at all.
  await insert('old', 90, `timestamptz '2026-12-01T00:00:00Z' - (i / 3) * interval '1 second'`);
  await server.db.query(
    `UPDATE issues SET state = 'ACTIVE' WHERE namespace = $1 AND severity = 'info'`,
    [NS],
  );
});

/** Every issue of the namespace matching `where`, in `sort` order, sorted here. */
async function expected(sort: string, where = 'TRUE'): Promise<string[]> {
  const rows = await server.db.query<{ id: string; detected_at: Date; severity: string }>(
    `SELECT id, detected_at, severity FROM issues WHERE namespace = $1 AND ${where}`,
    [NS],
  );
  const time = (row: { detected_at: Date }) => row.detected_at.getTime();
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
  const newest = (a: (typeof rows.rows)[0], b: (typeof rows.rows)[0]) =>
    time(b) - time(a) || byId(b, a);
  const compare = {
    '-detectedAt': newest,
    detectedAt: (a: (typeof rows.rows)[0], b: (typeof rows.rows)[0]) => newest(b, a),
    '-severity': (a: (typeof rows.rows)[0], b: (typeof rows.rows)[0]) =>
      WORST_FIRST.indexOf(a.severity) - WORST_FIRST.indexOf(b.severity) || newest(a, b),
  }[sort];
  assert.ok(compare, sort);
  return rows.rows.sort(compare).map((row) => row.id);
}

/** Every page of `query` by following `next`, `limit` a page. */
async function follow(query: string, limit: number, during?: () => Promise<void>) {
  const pages: IssuePage[] = [];
  let cursor = '';
  do {
    const [answer] = await Promise.all([
      api.get<IssuePage>(`/api/v1/issues?namespace=${NS}&${query}&limit=${limit}&cursor=${cursor}`),
      during?.(),
    ]);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    pages.push(answer.body);
    cursor = answer.body.next ?? '';
  } while (cursor && pages.length < 1000);
  return pages;
}

const ids = (pages: IssuePage[]) => pages.flatMap((page) => page.data.map((issue) => issue.id));

describe('sorted issue lists', () => {
  it('each order lists what sorting every issue gives, on pages by cursor and by offset', async () => {
    const filters: [string, string][] = [
      ['', 'TRUE'],
      ['state=RESOLVED', `state = 'RESOLVED'`],
      ['severity=minor', `severity = 'minor'`],
      [LABELLED, `labels @> '{"team":"a"}'`],
    ];
    for (const sort of ['-detectedAt', 'detectedAt', '-severity']) {
      for (const [filter, where] of filters) {
        const query = `sort=${sort}&${filter}`;
        const want = await expected(sort, where);
        assert.ok(want.length > 10, query);
        assert.deepEqual(ids(await follow(query, 7)), want, `${query}, by cursor`);
        const byOffset: string[] = [];
        for (let offset = 0; offset < want.length + 7; offset += 7) {
          const page = await api.get<IssuePage>(
            `/api/v1/issues?namespace=${NS}&${query}&limit=7&offset=${offset}`,
          );
          assert.equal(page.status, 200);
          assert.equal(page.body.total, want.length, `${query}: the total of every match`);
          byOffset.push(...page.body.data.map((issue) => issue.id));
        }
        assert.deepEqual(byOffset, want, `${query}, by offset`);
      }
    }
  });

  it('following next visits every issue once in each order while issues are written', async () => {
    for (const sort of ['detectedAt', '-severity']) {
      const existing = await expected(sort);
      let round = 0;
      // New issues of every severity in front (now), a back-dated one behind.
      const writeRound = async () => {
        round += 1;
        await insert(`${sort}-new${round}`, 4, 'now()');
        await insert(`${sort}-back${round}`, 1, `timestamptz '2026-11-01T00:00:00Z'`);
      };
      const pages = await follow(`sort=${sort}`, 7, writeRound);
      const seen = ids(pages);
      assert.ok(round > 1, 'the writer ran while paging');
      assert.equal(new Set(seen).size, seen.length, `${sort}: no issue is on two pages`);
      const missing = existing.filter((id) => !seen.includes(id));
      assert.deepEqual(missing, [], `${sort}: every issue there at the start is on some page`);
      // What the pages showed is in the order throughout.
      const order = await expected(sort);
      const shown = order.filter((id) => seen.includes(id));
      assert.deepEqual(seen, shown, `${sort}: in order across pages`);
    }
  });

  it('the total and the first page do not depend on the order but on the filter', async () => {
    for (const filter of ['', 'state=ACTIVE', LABELLED]) {
      const answers = await Promise.all(
        ['', 'sort=-detectedAt', 'sort=detectedAt', 'sort=-severity'].map((sort) =>
          api.get<IssuePage>(`/api/v1/issues?namespace=${NS}&${filter}&${sort}&limit=5`),
        ),
      );
      const totals = answers.map((answer) => answer.body.total);
      assert.equal(new Set(totals).size, 1, `${filter}: ${totals.join(', ')}`);
    }
    // No sort and the default sort are the same answer, byte for byte.
    const plain = await api.get<IssuePage>(`/api/v1/issues?namespace=${NS}&limit=5`);
    const named = await api.get<IssuePage>(
      `/api/v1/issues?namespace=${NS}&limit=5&sort=-detectedAt`,
    );
    const empty = await api.get<IssuePage>(`/api/v1/issues?namespace=${NS}&limit=5&sort=`);
    assert.deepEqual(named.body, plain.body);
    assert.deepEqual(empty.body, plain.body);
  });

  it('worst first pages by offset up to 1000, deeper by cursor', async () => {
    const deepest = await api.get<IssuePage>(
      `/api/v1/issues?sort=-severity&offset=${MAX_SEVERITY_OFFSET}`,
    );
    assert.equal(deepest.status, 200);
    const deeper = await api.get<{ error: string; details: unknown }>(
      `/api/v1/issues?sort=-severity&offset=${MAX_SEVERITY_OFFSET + 1}`,
    );
    assert.equal(deeper.status, 400);
    assert.match(deeper.body.error, /^offset: at most 1000 with sort=-severity; .*cursor/);
    assert.deepEqual(deeper.body.details, { field: 'offset', max: MAX_SEVERITY_OFFSET });
    for (const sort of ['', '&sort=-detectedAt', '&sort=detectedAt']) {
      const answer = await api.get(`/api/v1/issues?offset=${MAX_SEVERITY_OFFSET + 1}${sort}`);
      assert.equal(answer.status, 200, sort);
    }
  });

  it('an order the server does not offer answers 400 listing the ones it does', async () => {
    for (const sort of ['title', 'severity', '-lastSeenAt', 'detectedAt,id', '+detectedAt']) {
      const answer = await api.get<{ error: string; details: { field: string }[] }>(
        `/api/v1/issues?sort=${encodeURIComponent(sort)}`,
      );
      assert.equal(answer.status, 400, sort);
      assert.equal(
        answer.body.error,
        'Invalid request: sort must be one of: -detectedAt, detectedAt, -severity',
      );
      assert.equal(answer.body.details[0]?.field, 'sort');
    }
  });

  it('a cursor pages only the order it was issued for', async () => {
    const pages: Record<string, string | null> = {};
    for (const sort of ['-detectedAt', 'detectedAt', '-severity']) {
      const first = await api.get<IssuePage>(`/api/v1/issues?namespace=${NS}&sort=${sort}&limit=3`);
      pages[sort] = first.body.next;
    }
    for (const [issued, cursor] of Object.entries(pages)) {
      assert.ok(cursor);
      for (const sort of ['-detectedAt', 'detectedAt', '-severity']) {
        const answer: { status: number; body: { error: string } } = await api.get(
          `/api/v1/issues?namespace=${NS}&sort=${sort}&cursor=${cursor}`,
        );
        if (sort === issued) {
          assert.equal(answer.status, 200, `${issued} cursor with sort=${sort}`);
          continue;
        }
        assert.equal(answer.status, 400, `${issued} cursor with sort=${sort}`);
        assert.match(answer.body.error, /^cursor: it was issued for sort=/);
      }
    }
    // A severity cursor whose severity is not one is refused, like any forged cursor.
    const [detectedAt, id] = JSON.parse(
      Buffer.from(pages['-severity'] ?? '', 'base64url').toString(),
    ) as string[];
    const forged = Buffer.from(JSON.stringify([detectedAt, id, '-severity', 'urgent'])).toString(
      'base64url',
    );
    const refused = await api.get(`/api/v1/issues?sort=-severity&cursor=${forged}`);
    assert.equal(refused.status, 400);
  });
});
