/**
 * Silences (docs/silences.md): created by those who may `manage` in the namespace (here
 * a verb of its own, so that `update` alone does not suffice), they mark the issues they
 * match and mute them (`mutedBy`), are counted apart, end by themselves and stay listed
 * as expired. In kubernetes mode, against the Kubernetes API double.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Severity } from '../../src/domain/issue.js';
import { createIssueStore } from '../../src/store/issue-store.js';
import { createSilenceStore } from '../../src/store/silence-store.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { ISSUES_RBAC } from '../support/kube-auth-server.js';
import { useTestServer, type TestServer } from '../support/test-server.js';

const bearer = (user: string) => ({ authorization: `Bearer token-${user}` });
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function seed(
  server: TestServer,
  name: string,
  options: { namespace?: string; severity?: Severity; labels?: Record<string, string> } = {},
): Promise<string> {
  const namespace = options.namespace ?? 'team-a';
  const { issue } = await createIssueStore(server.db).report({
    namespace,
    issueType: 'build',
    scope: { resourceType: 'component', resourceName: name, resourceNamespace: namespace },
    title: `Build failed: ${name}`,
    description: 'exit 1',
    severity: options.severity ?? 'major',
    labels: options.labels ?? {},
  });
  return issue.id;
}

describe('silences', () => {
  let kube: KubeApiDouble;
  const { server, api } = useTestServer(async () => {
    kube = await startKubeApiDouble();
    kube.namespaces.push('team-a', 'team-b');
    for (const user of ['manager', 'writer', 'reader', 'stranger'])
      kube.users.set(`token-${user}`, { username: user, groups: [] });
    const grant = (user: string, verbs: string[]) =>
      verbs.map((verb) => ({ user, verb, ...ISSUES_RBAC, namespace: 'team-a' }));
    kube.grants.push(
      ...grant('manager', ['get', 'manage']),
      ...grant('writer', ['get', 'update']),
      ...grant('reader', ['get']),
      ...['get', 'manage'].map((verb) => ({
        user: 'manager',
        verb,
        ...ISSUES_RBAC,
        namespace: 'team-b',
      })),
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

  const create = (user: string, body: unknown, namespace = 'team-a') =>
    api.post(`/api/v1/namespaces/${namespace}/silences`, body, bearer(user));
  const stored = async (namespace = 'team-a') =>
    (await api.get(`/api/v1/namespaces/${namespace}/silences`, bearer('manager'))).body.total;

  it("a manager's silence marks the issues it matches, and mutedBy returns them", async () => {
    const critical = await seed(server, 'mark-web', {
      severity: 'critical',
      labels: { app: 'web' },
    });
    const otherApp = await seed(server, 'mark-db', { severity: 'critical', labels: { app: 'db' } });
    const minor = await seed(server, 'mark-ui', { severity: 'minor', labels: { app: 'web' } });
    const elsewhere = await seed(server, 'mark-web', {
      namespace: 'team-b',
      severity: 'critical',
      labels: { app: 'web' },
    });
    const endsAt = inSeconds(3600);
    const created = await create('manager', {
      matchers: { severity: 'critical', labels: { app: 'web' } },
      endsAt,
      comment: 'known outage of <b>web</b>',
    });
    assert.equal(created.status, 201);
    const { id, startsAt, createdAt } = created.body;
    assert.deepEqual(created.body, {
      id,
      namespace: 'team-a',
      matchers: { severity: 'critical', labels: { app: 'web' } },
      startsAt,
      endsAt: new Date(endsAt).toISOString().replace('Z', '000Z'),
      state: 'active',
      createdBy: 'manager',
      createdAt,
      comment: 'known outage of <b>web</b>',
    });

    const list = await api.get('/api/v1/issues?namespace=team-a', bearer('reader'));
    const marks = new Map(list.body.data.map((i: any) => [i.id, i.silencedBy]));
    assert.equal(marks.get(critical), id);
    assert.equal(marks.get(otherApp), undefined);
    assert.equal(marks.get(minor), undefined);
    assert.equal(
      (await api.get(`/api/v1/issues/${critical}`, bearer('reader'))).body.silencedBy,
      id,
    );
    assert.equal(
      (await api.get(`/api/v1/issues/${minor}`, bearer('reader'))).body.silencedBy,
      undefined,
    );

    const muted = await createSilenceStore(server.db).mutedBy([
      critical,
      otherApp,
      minor,
      elsewhere,
    ]);
    assert.deepEqual([...muted], [[critical, id]]);
    await api.post(`/api/v1/namespaces/team-a/silences/${id}/expire`, {}, bearer('manager'));
  });

  it('answers 403 to a reader or writer without manage, 404 to a non-reader; stores nothing', async () => {
    const before = await stored();
    const body = { matchers: { severity: 'info' }, endsAt: inSeconds(60), comment: 'x' };
    for (const [user, status] of [
      ['reader', 403],
      ['writer', 403],
      ['stranger', 404],
    ] as const) {
      const answer = await create(user, body);
      assert.equal(answer.status, status, user);
    }
    assert.equal(
      (await api.get('/api/v1/namespaces/team-a/silences', bearer('stranger'))).status,
      404,
    );
    assert.equal(await stored(), before);
    const id = (await create('manager', body)).body.id;
    const expire = (user: string) =>
      api.post(`/api/v1/namespaces/team-a/silences/${id}/expire`, {}, bearer(user));
    assert.equal((await expire('reader')).status, 403);
    assert.equal((await expire('stranger')).status, 404);
    assert.equal(
      (await api.get(`/api/v1/namespaces/team-a/silences/${id}`, bearer('reader'))).body.state,
      'active',
    );
    assert.equal(
      (await api.get(`/api/v1/namespaces/team-b/silences/${id}`, bearer('manager'))).status,
      404,
    );
    const expired = await expire('manager');
    assert.equal(expired.status, 200);
    assert.equal(expired.body.state, 'expired');
    assert.equal(expired.body.expiredBy, 'manager');
  });

  it('answers 400 to bad matchers and times, naming the field, and stores nothing', async () => {
    const before = await stored();
    const ok = { matchers: { severity: 'info' }, endsAt: inSeconds(60), comment: 'x' };
    const cases: [unknown, RegExp][] = [
      [{ ...ok, matchers: {} }, /matchers: name at least one/],
      [{ ...ok, matchers: { labels: {} } }, /matchers: name at least one/],
      [{ ...ok, matchers: { severity: 'urgent' } }, /severity/],
      [{ ...ok, matchers: { colour: 'red' } }, /colour|additional/i],
      [{ ...ok, endsAt: inSeconds(-1) }, /endsAt: must be in the future/],
      [
        { ...ok, startsAt: inSeconds(120), endsAt: inSeconds(60) },
        /endsAt: must be after startsAt/,
      ],
      [{ ...ok, endsAt: 'tomorrow' }, /endsAt/],
      [{ ...ok, comment: '   ' }, /comment/],
    ];
    for (const [body, message] of cases) {
      const answer = await create('manager', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(answer.body.error, message, JSON.stringify(body));
    }
    assert.equal(await stored(), before);
  });

  it('ends by itself: the issue is no longer marked and the silence is listed as expired', async () => {
    const issue = await seed(server, 'brief', { severity: 'info' });
    const created = await create('manager', {
      matchers: { resourceName: 'brief' },
      endsAt: inSeconds(1),
      comment: 'one second',
    });
    const { id } = created.body;
    assert.equal((await api.get(`/api/v1/issues/${issue}`, bearer('reader'))).body.silencedBy, id);
    await sleep(1100);
    assert.equal(
      (await api.get(`/api/v1/issues/${issue}`, bearer('reader'))).body.silencedBy,
      undefined,
    );
    assert.equal((await createSilenceStore(server.db).mutedBy([issue])).size, 0);
    const expired = await api.get(
      '/api/v1/namespaces/team-a/silences?state=expired',
      bearer('reader'),
    );
    const listed = expired.body.data.find((s: any) => s.id === id);
    assert.equal(listed?.state, 'expired');
    assert.equal(listed?.expiredBy, undefined);
    const active = await api.get(
      '/api/v1/namespaces/team-a/silences?state=active',
      bearer('reader'),
    );
    assert.equal(
      active.body.data.some((s: any) => s.id === id),
      false,
    );
  });

  it('a silence that starts later is pending and marks nothing until it starts', async () => {
    const issue = await seed(server, 'later', { severity: 'info' });
    const created = await create('manager', {
      matchers: { resourceName: 'later' },
      startsAt: inSeconds(3600),
      endsAt: inSeconds(7200),
      comment: 'maintenance',
    });
    assert.equal(created.body.state, 'pending');
    assert.equal(
      (await api.get(`/api/v1/issues/${issue}`, bearer('reader'))).body.silencedBy,
      undefined,
    );
  });

  it('counts report silenced issues apart and leave every other count unchanged', async () => {
    await seed(server, 'count-1', {
      namespace: 'team-b',
      severity: 'major',
      labels: { app: 'api' },
    });
    await seed(server, 'count-2', {
      namespace: 'team-b',
      severity: 'major',
      labels: { app: 'api' },
    });
    await seed(server, 'count-3', {
      namespace: 'team-b',
      severity: 'minor',
      labels: { app: 'api' },
    });
    const counts = () => api.get('/api/v1/issues/counts?namespace=team-b', bearer('manager'));
    const before = (await counts()).body;
    assert.equal(before.silenced, 0);
    const silence = await create(
      'manager',
      {
        matchers: { severity: 'major', labels: { app: 'api' } },
        endsAt: inSeconds(60),
        comment: 'c',
      },
      'team-b',
    );
    const during = (await counts()).body;
    assert.deepEqual(during, { ...before, silenced: 2 });
    const minor = await api.get(
      '/api/v1/issues/counts?namespace=team-b&severity=minor',
      bearer('manager'),
    );
    assert.equal(minor.body.silenced, 0);
    await api.post(
      `/api/v1/namespaces/team-b/silences/${silence.body.id}/expire`,
      {},
      bearer('manager'),
    );
    assert.deepEqual((await counts()).body, before);
  });

  it('lists the silences of every readable namespace at /api/v1/silences', async () => {
    const all = await api.get('/api/v1/silences', bearer('reader'));
    assert.equal(all.status, 200);
    assert.ok(all.body.data.length > 0);
    assert.ok(all.body.data.every((s: any) => s.namespace === 'team-a'));
  });
});
