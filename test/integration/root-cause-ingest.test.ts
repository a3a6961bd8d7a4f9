/**
 * How reports find root-cause groups as they are written (docs/root-cause-groups.md,
 * docs/decisions/0058-groups-in-the-report-transaction.md): concurrent reports of one
 * cause, group-committed together, form exactly one group; a shared CVE groups reports
 * whose text differs; the window bounds who joins; a resolution's event carries no
 * signature; a group change reaches the live stream of its namespaces' readers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KiteClient } from '../../src/client/client.js';
import type { IssueReport } from '../../src/domain/issue.js';
import { createIssueStore } from '../../src/store/issue-store.js';
import { useTestServer } from '../support/test-server.js';

const failure = (namespace: string, name: string, firstLine: string): IssueReport => ({
  namespace,
  issueType: 'build',
  scope: { resourceType: 'component', resourceName: name, resourceNamespace: namespace },
  title: `Build failed: ${name}`,
  description: `${firstLine}\nin ${name}`,
  severity: 'major',
});

describe('grouping as reports arrive', () => {
  const { server, api } = useTestServer({ env: { KITE_ROOT_CAUSE_GROUPS: 'on' } });
  const store = (windowMs = 86_400_000) =>
    createIssueStore(server.db, { rootCause: { enabled: true, windowMs } });
  const groupsOf = async (namespace: string) =>
    (await api.get(`/api/v1/groups?namespace=${namespace}`)).body as {
      total: number;
      data: { id: string; size: number; namespaces: string[] }[];
    };

  it('forty reports of one cause written together form exactly one group of forty', async () => {
    const writer = store();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        writer.report(failure(`burst-${i % 4}`, `c-${i}`, 'error: disk quota exceeded')),
      ),
    );
    const page = await groupsOf('burst-0');
    assert.equal(page.total, 1);
    assert.equal(page.data[0]?.size, 40);
    const members = await server.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM root_cause_members WHERE issue_id = ANY($1::uuid[])',
      [answers.map((a) => a.issue.id)],
    );
    assert.equal(members.rows[0]?.n, 40);
  });

  it('reports joining one group from many connections at once never deadlock', async () => {
    // Eight writers (as eight replicas would be), each writing its reports one statement
    // at a time, all joining the group the first two formed: each join's foreign key
    // takes KEY SHARE on the group, so a FOR UPDATE on it would deadlock (migration 15).
    const deadlocks = async () =>
      server.db.kind === 'postgres'
        ? Number(
            (
              await server.db.query<{ n: string }>(
                'SELECT deadlocks::text AS n FROM pg_stat_database WHERE datname = current_database()',
              )
            ).rows[0]?.n,
          )
        : 0;
    const cause = 'error: registry quay.io answered 502 while pushing';
    const first = store();
    await first.report(failure('hot-0', 'seed-a', cause));
    await first.report(failure('hot-1', 'seed-b', cause));
    const before = await deadlocks();
    const writers = Array.from({ length: 8 }, () =>
      createIssueStore(server.db, {
        rootCause: { enabled: true, windowMs: 86_400_000 },
        ingest: { maxItems: 1 },
      }),
    );
    await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        writers[i % 8]!.report(failure(`hot-${i % 5}`, `c-${i}`, cause)),
      ),
    );
    const page = await groupsOf('hot-0');
    assert.equal(page.total, 1);
    assert.equal(page.data[0]?.size, 82);
    assert.equal((await deadlocks()) - before, 0, 'PostgreSQL broke deadlocks');
  });

  it('reports naming the same CVE share a group whatever their text, and say so', async () => {
    const writer = store();
    await writer.report(failure('cve-a', 'web', 'Update requests [SECURITY] CVE-2024-35195'));
    await writer.report(failure('cve-b', 'api', 'bump requests to 2.32.0 (fixes cve-2024-35195)'));
    const page = await groupsOf('cve-a');
    assert.equal(page.total, 1);
    const detail = (await api.get(`/api/v1/groups/${page.data[0]?.id}`)).body;
    assert.deepEqual(
      detail.members.map((m: { reason: unknown }) => m.reason),
      [
        { kind: 'cve', value: 'CVE-2024-35195' },
        { kind: 'cve', value: 'CVE-2024-35195' },
      ],
    );
    assert.deepEqual(detail.cves, ['CVE-2024-35195']);
    const byCve = async (cve: string) => (await api.get(`/api/v1/groups?cve=${cve}`)).body;
    assert.deepEqual(
      (await byCve('cve-2024-35195')).data.map((g: { id: string }) => g.id),
      [detail.id],
    );
    assert.equal((await byCve('CVE-2000-0001')).total, 0);
    const bad = await api.get('/api/v1/groups?cve=nope');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /cve must be a CVE id/);
  });

  it('a group takes no members after its window; later failures of the cause start another', async () => {
    const writer = store(300);
    await writer.report(failure('late', 'one', 'fatal: unable to access git host'));
    await writer.report(failure('late', 'two', 'fatal: unable to access git host'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await writer.report(failure('late', 'three', 'fatal: unable to access git host'));
    assert.deepEqual(
      (await groupsOf('late')).data.map((g) => g.size),
      [2],
      'the third failure is alone: no group to join, no recent peer',
    );
    await writer.report(failure('late', 'four', 'fatal: unable to access git host'));
    assert.deepEqual(
      (await groupsOf('late')).data.map((g) => g.size),
      [2, 2],
    );
  });

  it("a failure's timeline event carries its signature; a resolution's carries none", async () => {
    const writer = store();
    const { issue } = await writer.report(failure('events', 'svc', 'OOMKilled'));
    await writer.report({ ...failure('events', 'svc', 'OOMKilled'), state: 'RESOLVED' });
    const events = await server.db.query<{ kind: string; signed: boolean }>(
      `SELECT kind, signature_hash IS NOT NULL AS signed FROM issue_events
       WHERE issue_id = $1 ORDER BY id`,
      [issue.id],
    );
    assert.deepEqual(events.rows, [
      { kind: 'created', signed: true },
      { kind: 'resolved', signed: false },
    ]);
  });

  it('a group change reaches the stream of a reader of its namespace, as numbers', async () => {
    const kite = new KiteClient({ baseUrl: server.url });
    const stream = await kite.events({ namespace: ['live-a'] });
    const writer = store();
    await writer.report(failure('live-a', 'x', 'error: certificate has expired'));
    await writer.report(failure('live-b', 'y', 'error: certificate has expired'));
    try {
      for await (const message of stream) {
        if (message.type !== 'group') continue;
        assert.deepEqual(message.group, {
          type: 'group',
          id: message.group.id,
          namespace: 'live-a',
          state: 'ACTIVE',
          size: 2,
          recovered: 0,
        });
        break;
      }
    } finally {
      stream.close();
    }
  });
});
