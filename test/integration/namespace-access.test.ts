/**
 * `GET /api/v1/namespaces/:namespace/access`: what the caller may do with issues in a
 * namespace, from the same checks the issue routes make, so that a client shows an
 * action exactly when its route would allow it; nothing about what exists there; 503
 * when the checks cannot answer. In kubernetes mode (the Kubernetes API double), behind
 * an impersonating proxy, and in auth mode none.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createIssueStore } from '../../src/store/issue-store.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { ISSUES_RBAC } from '../support/kube-auth-server.js';
import { useTestServer, type TestServer } from '../support/test-server.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function seed(server: TestServer, namespace: string, name: string): Promise<string> {
  const { issue } = await createIssueStore(server.db).report({
    namespace,
    issueType: 'build',
    scope: { resourceType: 'component', resourceName: name, resourceNamespace: namespace },
    title: `Build failed: ${name}`,
    description: 'exit 1',
    severity: 'major',
  });
  return issue.id;
}

describe('in kubernetes mode', () => {
  let kube: KubeApiDouble;
  const { server, api } = useTestServer(async () => {
    kube = await startKubeApiDouble();
    kube.namespaces.push('team-a', 'team-b', 'team-empty');
    const users = ['reader', 'writer', 'blind-writer', 'late', 'slow', 'proxy', 'rogue'];
    for (const user of users) kube.users.set(`token-${user}`, { username: user, groups: [] });
    kube.grants.push(
      { user: 'reader', verb: 'get', ...ISSUES_RBAC, namespace: 'team-a' },
      ...['writer', 'late', 'slow'].flatMap((user) =>
        ['get', 'update'].map((verb) => ({ user, verb, ...ISSUES_RBAC, namespace: 'team-a' })),
      ),
      // May change but not read: the routes answer 404, as for an issue that does not exist.
      { user: 'blind-writer', verb: 'update', ...ISSUES_RBAC, namespace: 'team-a' },
      // The proxies may read and change everything themselves; only `proxy` may impersonate.
      ...['proxy', 'rogue'].flatMap((user) =>
        ['get', 'update'].map((verb) => ({ user, verb, ...ISSUES_RBAC })),
      ),
      { user: 'proxy', verb: 'impersonate', apiGroup: '', resource: 'users' },
    );
    return {
      env: {
        KITE_AUTH_MODE: 'kubernetes',
        KUBECONFIG: kube.kubeconfig,
        KITE_AUTH_NEGATIVE_CACHE_TTL: '50ms',
      },
    };
  });
  after(() => kube?.close());

  const access = (namespace: string, token?: string, extra: Record<string, string> = {}) =>
    api.get(
      `/api/v1/namespaces/${namespace}/access`,
      token ? { ...bearer(token), ...extra } : extra,
    );

  it('answers read and write exactly as the issue routes decide them, resolving included', async () => {
    const cases = [
      { user: 'reader', answer: { read: true, write: false, manage: false }, resolve: 403 },
      { user: 'writer', answer: { read: true, write: true, manage: true }, resolve: 200 },
      { user: 'blind-writer', answer: { read: false, write: false, manage: false }, resolve: 404 },
    ];
    for (const { user, answer, resolve } of cases) {
      const asked = await access('team-a', `token-${user}`);
      assert.equal(asked.status, 200, user);
      assert.deepEqual(asked.body, { namespace: 'team-a', ...answer }, user);
      const id = await seed(server, 'team-a', `for-${user}`);
      const read = await api.get(`/api/v1/issues/${id}`, bearer(`token-${user}`));
      assert.equal(read.status === 200, answer.read, `${user} reads as answered`);
      const resolved = await api.post(`/api/v1/issues/${id}/resolve`, {}, bearer(`token-${user}`));
      assert.equal(resolved.status, resolve, `${user} resolves as answered`);
    }
  });

  it('tells a caller nothing about what a namespace they may not read holds', async () => {
    await seed(server, 'team-b', 'billing');
    const answers: { status: number; body: unknown; reviews: number }[] = [];
    for (const namespace of ['team-b', 'team-empty', 'not-a-namespace-at-all']) {
      const before = kube.calls.subjectAccessReviews;
      const answer = await access(namespace, 'token-reader');
      answers.push({
        status: answer.status,
        body: { ...answer.body, namespace: '…' },
        reviews: kube.calls.subjectAccessReviews - before,
      });
      assert.deepEqual(answer.body, { namespace, read: false, write: false, manage: false });
    }
    // The same answer and the same work (one review) whether there are issues or not.
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(answers[0], answers[2]);
    assert.equal(answers[0]?.reviews, 1);
  });

  it('answers 401 without a token and 400 for a name that is not a namespace, asking nothing', async () => {
    const missing = await access('team-a');
    assert.equal(missing.status, 401);
    assert.match(missing.body.error, /Bearer/);
    const before = { ...kube.calls };
    for (const bad of ['Team_A', 'a'.repeat(64), '-team']) {
      const answer = await access(bad, 'token-writer');
      assert.equal(answer.status, 400, bad);
      assert.match(answer.body.error, /Kubernetes namespace name/, bad);
    }
    assert.equal(kube.calls.subjectAccessReviews, before.subjectAccessReviews);
  });

  it('fails closed: 503 while the Kubernetes API cannot answer, never a guess', async () => {
    // `late`'s token and read right are known (cached); the write right is not.
    assert.equal(
      (await api.get('/api/v1/issues?namespace=team-a', bearer('token-late'))).status,
      200,
    );
    kube.down = true;
    try {
      for (const token of ['token-late', 'token-slow']) {
        const answer = await access('team-a', token);
        assert.equal(answer.status, 503, token);
        assert.match(answer.body.error, /Kubernetes API/, token);
      }
    } finally {
      kube.down = false;
    }
    const back = await access('team-a', 'token-late');
    assert.deepEqual(back.body, { namespace: 'team-a', read: true, write: true, manage: true });
  });

  it('answers for the user a proxy may impersonate, and 403 to a proxy that may not', async () => {
    const asUser = { 'impersonate-user': 'reader' };
    const a = await access('team-a', 'token-proxy', asUser);
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, { namespace: 'team-a', read: true, write: false, manage: false });
    const b = await access('team-b', 'token-proxy', asUser);
    assert.deepEqual(b.body, { namespace: 'team-b', read: false, write: false, manage: false });
    const rogue = await access('team-a', 'token-rogue', asUser);
    assert.equal(rogue.status, 403);
    assert.equal(rogue.body.error, 'rogue may not impersonate users "reader"');
  });
});

describe('in auth mode none (development)', () => {
  const { server, api } = useTestServer();

  it('answers that the anonymous caller may read and write, as the routes let it', async () => {
    const answer = await api.get('/api/v1/namespaces/team-a/access');
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { namespace: 'team-a', read: true, write: true, manage: true });
    const id = await seed(server, 'team-a', 'anonymous');
    assert.equal((await api.post(`/api/v1/issues/${id}/resolve`)).status, 200);
  });
});
