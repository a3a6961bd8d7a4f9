/**
 * `GET /api/v1/overview` (docs/decisions/0047-overview-in-one-answer.md): one answer
 * whose counts equal the counts API's, per namespace too; the worst active issues; the
 * active issues per application and component; what changed in the last 24 hours; and
 * nothing of a namespace the caller may not read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Severity } from '../../src/domain/issue.js';
import { CHANGE_BOUND, COMPONENT_NAMESPACES } from '../../src/store/issue-overview.js';
import {
  ISSUES_RBAC,
  startKubeAuthServer,
  type KubeAuthServer,
} from '../support/kube-auth-server.js';
import { client, useTestServer } from '../support/test-server.js';

const APP = 'appstudio.openshift.io/application';
const COMPONENT = 'appstudio.openshift.io/component';

const issue = (
  namespace: string,
  name: string,
  severity: Severity,
  labels: Record<string, string> = {},
) => ({
  title: `${name} fails`,
  description: `${name} failed in ${namespace}`,
  severity,
  issueType: 'build',
  namespace,
  scope: { resourceType: 'component', resourceName: name },
  labels,
});

describe('the overview in anonymous development mode', () => {
  const { server, api, onStart } = useTestServer();
  const ids: Record<string, string> = {};
  onStart(async () => {
    const create = async (...args: Parameters<typeof issue>) => {
      const answer = await api.post('/api/v1/issues', issue(...args));
      assert.equal(answer.status, 201);
      ids[`${args[0]}/${args[1]}`] = answer.body.id;
    };
    await create('ov-a', 'web', 'critical', { [APP]: 'shop', [COMPONENT]: 'web' });
    await create('ov-a', 'api', 'major', { [APP]: 'shop', [COMPONENT]: 'api' });
    await create('ov-a', 'db', 'minor');
    await create('ov-b', 'cli', 'critical', { [APP]: 'tools', [COMPONENT]: 'cli' });
    await create('ov-b', 'docs', 'info', { [APP]: 'tools' });
    await create('ov-c', 'old', 'major');
    await create('ov-c', 'back', 'minor');
    // Resolved today, resolved long ago, and a regression of an issue first seen long ago.
    assert.equal((await api.post(`/api/v1/issues/${ids['ov-a/db']}/resolve`)).status, 200);
    await server.db.query(
      `UPDATE issues SET created_at = now() - interval '3 days', detected_at = now() - interval '3 days'
       WHERE id = ANY($1::uuid[])`,
      [[ids['ov-c/old'], ids['ov-c/back']]],
    );
    assert.equal((await api.post(`/api/v1/issues/${ids['ov-c/old']}/resolve`)).status, 200);
    await server.db.query(
      `UPDATE issues SET resolved_at = now() - interval '2 days' WHERE id = $1`,
      [ids['ov-c/old']],
    );
    await server.db.query(
      `UPDATE issues SET state = 'RESOLVED', resolved_at = now() - interval '2 days' WHERE id = $1`,
      [ids['ov-c/back']],
    );
    const back = await api.post('/api/v1/issues', issue('ov-c', 'back', 'minor'));
    assert.equal(back.status, 201);
    assert.equal(back.body.state, 'ACTIVE');
  });

  it('counts equal the counts API, in all and per namespace', async () => {
    const overview = await api.get('/api/v1/overview');
    assert.equal(overview.status, 200);
    assert.equal(overview.body.all, true);
    // The counts API's fields but `silenced` (docs/silences.md; no silence here).
    const counted = async (query: string) => {
      const { silenced, ...counts } = (await api.get(`/api/v1/issues/counts${query}`)).body;
      assert.equal(silenced, 0);
      return counts;
    };
    assert.deepEqual(overview.body.counts, await counted(''));
    assert.deepEqual(overview.body.active, await counted('?state=ACTIVE'));
    assert.equal(overview.body.namespaces.total, 3);
    for (const row of overview.body.namespaces.rows) {
      const counts = (await api.get(`/api/v1/issues/counts?namespace=${row.namespace}`)).body;
      const active = (
        await api.get(`/api/v1/issues/counts?namespace=${row.namespace}&state=ACTIVE`)
      ).body;
      assert.equal(row.active, counts.byState.ACTIVE, row.namespace);
      assert.equal(row.resolved, counts.byState.RESOLVED, row.namespace);
      assert.deepEqual(row.bySeverity, active.bySeverity, row.namespace);
    }
  });

  it('lists namespaces and components worst first', async () => {
    const { namespaces, components } = (await api.get('/api/v1/overview')).body;
    // ov-a and ov-b have a critical each; then ov-a has a major, ov-b only an info.
    assert.deepEqual(
      namespaces.rows.map((r: { namespace: string }) => r.namespace),
      ['ov-a', 'ov-b', 'ov-c'],
    );
    assert.equal(components.complete, true);
    assert.equal(components.examined, 5);
    const rows = components.rows.map(
      (r: { namespace: string; application: string; component: string; active: number }) =>
        `${r.namespace}/${r.application}/${r.component}:${r.active}`,
    );
    // Labels name the component; without the label, a component scope does. Ties on
    // the worst severity go by namespace.
    assert.deepEqual(rows, [
      'ov-a/shop/web:1',
      'ov-b/tools/cli:1',
      'ov-a/shop/api:1',
      'ov-c/null/back:1',
      'ov-b/tools/docs:1',
    ]);
  });

  it('carries the worst active issues, the newest first', async () => {
    const { worst } = (await api.get('/api/v1/overview')).body;
    assert.equal(worst.severity, 'critical');
    assert.equal(worst.total, 2);
    assert.deepEqual(
      worst.issues.map((i: { id: string }) => i.id),
      [ids['ov-b/cli'], ids['ov-a/web']],
    );
  });

  it('counts the new, reopened and resolved issues of the last 24 hours', async () => {
    const { changes } = (await api.get('/api/v1/overview')).body;
    assert.equal(changes.created, 5);
    assert.equal(changes.reopened, 1);
    assert.equal(changes.resolved, 1);
    assert.equal(changes.complete, true);
    assert.ok(Date.now() - Date.parse(changes.since) >= 24 * 3600 * 1000);
  });

  it('counts the changes since `since` instead, refusing a time in the future or over 30 days ago', async () => {
    const since = new Date(Date.now() - (72 + 1) * 3600 * 1000).toISOString();
    const answer = await api.get(`/api/v1/overview?since=${since}`);
    assert.equal(answer.status, 200);
    // The issues created three days ago are new since then, so nothing counts as reopened.
    assert.deepEqual(
      { ...answer.body.changes, since: Date.parse(answer.body.changes.since) },
      { since: Date.parse(since), created: 7, reopened: 0, resolved: 2, complete: true },
    );
    const future = new Date(Date.now() + 3600 * 1000).toISOString();
    const old = new Date(Date.now() - 31 * 24 * 3600 * 1000).toISOString();
    for (const [given, said] of [
      [future, /not be in the future/],
      [old, /at most 30 days ago/],
      ['yesterday', /since/],
    ] as const) {
      const refused = await api.get(`/api/v1/overview?since=${encodeURIComponent(given)}`);
      assert.equal(refused.status, 400, given);
      assert.match(refused.body.error, said);
    }
  });

  it('narrows to the namespaces asked for', async () => {
    const answer = await api.get('/api/v1/overview?namespace=ov-b');
    assert.equal(answer.body.all, false);
    assert.deepEqual(
      answer.body.namespaces.rows.map((r: { namespace: string }) => r.namespace),
      ['ov-b'],
    );
    assert.equal(answer.body.counts.total, 2);
    assert.equal(answer.body.changes.created, 2);
  });

  it('answers a malformed namespace with 400', async () => {
    const answer = await api.get('/api/v1/overview?namespace=Not_A_Namespace');
    assert.equal(answer.status, 400);
  });
});

describe('the overview of a reader of one namespace', () => {
  let auth: KubeAuthServer;
  before(async () => {
    auth = await startKubeAuthServer({
      namespaces: ['ov-mine', 'ov-theirs'],
      cacheTtlMs: 60_000,
      streamsPerCaller: 4,
    });
    auth.kube.users.set('token-reader', { username: 'reader', groups: [] });
    auth.kube.grants.push({ user: 'reader', verb: 'get', ...ISSUES_RBAC, namespace: 'ov-mine' });
    auth.kube.grants.push({ user: 'reader', verb: 'list', ...ISSUES_RBAC, namespace: 'ov-mine' });
    // Creating issues through the v1 API takes the write verb, beyond the reporter's own.
    auth.kube.grants.push({ user: 'reporter', verb: '*', ...ISSUES_RBAC });
    const api = client(auth.server.url);
    const reporter = { authorization: 'Bearer token-reporter' };
    for (const [namespace, severity] of [
      ['ov-mine', 'minor'],
      ['ov-theirs', 'critical'],
    ] as const) {
      const answer = await api.call('POST', '/api/v1/issues', issue(namespace, 'x', severity), {
        ...reporter,
        'content-type': 'application/json',
      });
      assert.equal(answer.status, 201);
    }
  });
  after(() => auth.stop());

  it('shows nothing of a namespace the reader may not read', async () => {
    const api = client(auth.server.url);
    const reader = { authorization: 'Bearer token-reader' };
    const answer = await api.get('/api/v1/overview', reader);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.all, false);
    assert.equal(answer.body.counts.total, 1);
    assert.equal(answer.body.worst.severity, 'minor');
    assert.doesNotMatch(JSON.stringify(answer.body), /ov-theirs/);
    assert.equal(answer.body.active.bySeverity.critical, 0);
    const asked = await api.get('/api/v1/overview?namespace=ov-theirs', reader);
    assert.equal(asked.status, 403);
    const anonymous = await api.get('/api/v1/overview');
    assert.equal(anonymous.status, 401);
  });
});

describe('the overview past its bounds', () => {
  const { server, api, onStart } = useTestServer();
  onStart(async () => {
    // More new issues than the change counts count, in more namespaces than the
    // component breakdown covers.
    await server.db.query(
      `INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace,
                           title, description, severity, state)
       SELECT 'bulk-' || (g % $2), 'build', 'component', 'c-' || g, 'bulk-' || (g % $2),
              'bulk ' || g, '', 'major', 'ACTIVE'
       FROM generate_series(1, $1::int) g`,
      [CHANGE_BOUND + 1, COMPONENT_NAMESPACES + 1],
    );
  });

  it('says when the change counts are lower bounds and the breakdown partial', async () => {
    const overview = (await api.get('/api/v1/overview')).body;
    assert.equal(overview.counts.total, CHANGE_BOUND + 1);
    assert.equal(overview.namespaces.total, COMPONENT_NAMESPACES + 1);
    assert.equal(overview.changes.complete, false);
    assert.equal(overview.changes.created, CHANGE_BOUND);
    assert.equal(overview.components.complete, false);
    const covered = new Set(
      overview.components.rows.map((r: { namespace: string }) => r.namespace),
    );
    assert.ok(covered.size <= COMPONENT_NAMESPACES, `${covered.size} namespaces`);
  });
});
