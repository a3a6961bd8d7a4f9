/**
 * Acknowledgements (docs/silences.md): a reader who may `manage` acknowledges an issue;
 * the issue and its timeline show it; a reopening or a raise of severity clears it in
 * the report's own statement, a repeat at the same severity keeps it, and one whose
 * `until` passed reads as none. In kubernetes mode, against the Kubernetes API double.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { IssueReport, Severity } from '../../src/domain/issue.js';
import { createIssueStore } from '../../src/store/issue-store.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { ISSUES_RBAC } from '../support/kube-auth-server.js';
import { useTestServer, type TestServer } from '../support/test-server.js';

const bearer = (user: string) => ({ authorization: `Bearer token-${user}` });
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const report = (name: string, severity: Severity, state: 'ACTIVE' | 'RESOLVED' = 'ACTIVE') =>
  ({
    namespace: 'team-a',
    issueType: 'build',
    scope: { resourceType: 'component', resourceName: name, resourceNamespace: 'team-a' },
    title: `Build failed: ${name}`,
    description: 'exit 1',
    severity,
    state,
  }) satisfies IssueReport;

async function seed(server: TestServer, name: string, severity: Severity = 'major') {
  return (await createIssueStore(server.db).report(report(name, severity))).issue.id;
}

describe('acknowledgements', () => {
  let kube: KubeApiDouble;
  const { server, api } = useTestServer(async () => {
    kube = await startKubeApiDouble();
    kube.namespaces.push('team-a');
    for (const user of ['manager', 'reader', 'stranger'])
      kube.users.set(`token-${user}`, { username: user, groups: [] });
    kube.grants.push(
      ...['get', 'manage'].map((verb) => ({
        user: 'manager',
        verb,
        ...ISSUES_RBAC,
        namespace: 'team-a',
      })),
      { user: 'reader', verb: 'get', ...ISSUES_RBAC, namespace: 'team-a' },
    );
    return {
      env: {
        KITE_AUTH_MODE: 'kubernetes',
        KUBECONFIG: kube.kubeconfig,
        KITE_RBAC_MANAGE_VERB: 'manage',
      },
    };
  });
  after(() => kube?.close());

  const ack = (id: string, body: unknown = {}, user = 'manager') =>
    api.post(`/api/v1/issues/${id}/acknowledge`, body, bearer(user));
  const read = async (id: string) => (await api.get(`/api/v1/issues/${id}`, bearer('reader'))).body;
  const timeline = async (id: string) =>
    (await api.get(`/api/v1/issues/${id}/events`, bearer('reader'))).body.data;
  const store = () => createIssueStore(server.db);

  it('shows on the issue, in lists and on its timeline; a DELETE takes it back', async () => {
    const id = await seed(server, 'shown');
    const until = inSeconds(3600);
    const answer = await ack(id, { note: 'looking into <it>', until });
    assert.equal(answer.status, 200);
    const { at } = answer.body.acknowledgement;
    const expected = {
      by: 'manager',
      at,
      note: 'looking into <it>',
      until: until.replace('Z', '000Z'),
    };
    assert.deepEqual(answer.body.acknowledgement, expected);
    assert.deepEqual((await read(id)).acknowledgement, expected);
    const list = await api.get('/api/v1/issues?namespace=team-a', bearer('reader'));
    assert.deepEqual(list.body.data.find((i: any) => i.id === id).acknowledgement, expected);
    const [latest] = await timeline(id);
    assert.equal(latest.kind, 'acknowledged');
    assert.equal(
      latest.summary,
      `acknowledged by manager until ${expected.until}: looking into <it>`,
    );

    const back = await api.delete(`/api/v1/issues/${id}/acknowledge`);
    assert.equal(back.status, 401);
    const withdrawn = await api.call(
      'DELETE',
      `/api/v1/issues/${id}/acknowledge`,
      undefined,
      bearer('manager'),
    );
    assert.equal(withdrawn.status, 200);
    assert.equal(withdrawn.body.acknowledgement, undefined);
    assert.equal((await timeline(id))[0].kind, 'unacknowledged');
  });

  it('answers 403 to a reader without manage, 404 to a non-reader, 400 to a past until', async () => {
    const id = await seed(server, 'denied');
    assert.equal((await ack(id, {}, 'reader')).status, 403);
    assert.equal((await ack(id, {}, 'stranger')).status, 404);
    const past = await ack(id, { until: inSeconds(-60) });
    assert.equal(past.status, 400);
    assert.match(past.body.error, /until: must be in the future/);
    assert.equal((await ack(id, { note: 'x', extra: 1 })).status, 400);
    assert.equal((await read(id)).acknowledgement, undefined);
    assert.equal((await timeline(id))[0].kind, 'created');
  });

  it('a reopening clears it', async () => {
    const id = await seed(server, 'reopened');
    await store().report(report('reopened', 'major', 'RESOLVED'));
    await ack(id, { note: 'flaky' });
    assert.ok((await read(id)).acknowledgement);
    await store().report(report('reopened', 'major'));
    const issue = await read(id);
    assert.equal(issue.state, 'ACTIVE');
    assert.equal(issue.acknowledgement, undefined);
  });

  it('a raise of severity clears it; a repeat at the same or a lower severity keeps it', async () => {
    const id = await seed(server, 'raised', 'major');
    await ack(id);
    await store().report(report('raised', 'major'));
    assert.equal((await read(id)).acknowledgement?.by, 'manager');
    await store().report(report('raised', 'minor'));
    assert.equal((await read(id)).acknowledgement?.by, 'manager');
    await store().report(report('raised', 'critical'));
    assert.equal((await read(id)).acknowledgement, undefined);
  });

  it('reports written together in one statement clear it by the same rules', async () => {
    const ids = [await seed(server, 'batch-same'), await seed(server, 'batch-raised')];
    for (const id of ids) await ack(id);
    const batch = createIssueStore(server.db, { ingest: { windowMs: 50, maxItems: 8 } });
    await Promise.all([
      batch.report(report('batch-same', 'major')),
      batch.report(report('batch-raised', 'critical')),
    ]);
    assert.equal((await read(ids[0]!)).acknowledgement?.by, 'manager');
    assert.equal((await read(ids[1]!)).acknowledgement, undefined);
  });

  it('one whose until has passed reads as not acknowledged', async () => {
    const id = await seed(server, 'lapsed');
    await ack(id, { until: inSeconds(1) });
    assert.ok((await read(id)).acknowledgement);
    await sleep(1100);
    assert.equal((await read(id)).acknowledgement, undefined);
  });
});
