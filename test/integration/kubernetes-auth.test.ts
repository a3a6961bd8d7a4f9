/**
 * Namespace isolation from Kubernetes RBAC, end to end: the real server, the real
 * `@kubernetes/client-node`, and a Kubernetes API test double speaking the real HTTP API
 * for TokenReview, SubjectAccessReview and namespaces.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createIssueStore } from '../../src/store/issue-store.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };
let kube: KubeApiDouble;
let server: TestServer;
let teamA: string;
let teamB: string;

const as = (token: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  ...extra,
});
const get = (path: string, token?: string, extra?: Record<string, string>) =>
  client(server.url).get(path, token ? as(token, extra) : extra);
const call = (method: string, path: string, token: string, body?: unknown) =>
  client(server.url).call(method, path, body, as(token));

before(async () => {
  kube = await startKubeApiDouble();
  kube.namespaces.push('team-a', 'team-b', 'team-c');
  kube.users.set('token-alice', {
    username: 'alice',
    uid: 'u-alice',
    groups: ['team-a-devs', 'system:authenticated'],
  });
  kube.users.set('token-bob', { username: 'bob', groups: ['team-b-devs', 'system:authenticated'] });
  kube.users.set('token-operator', {
    username: 'system:serviceaccount:kite:operator',
    groups: ['system:serviceaccounts'],
  });
  kube.users.set('token-proxy', { username: 'console-proxy', groups: [] });
  kube.users.set('token-admin', { username: 'admin', groups: ['support'] });
  kube.grants.push(
    { group: 'team-a-devs', verb: 'get', ...RBAC, namespace: 'team-a' },
    { group: 'team-a-devs', verb: 'update', ...RBAC, namespace: 'team-a' },
    { group: 'team-b-devs', verb: 'get', ...RBAC, namespace: 'team-b' },
    { group: 'team-b-devs', verb: 'update', ...RBAC, namespace: 'team-b' },
    { user: 'system:serviceaccount:kite:operator', verb: 'create', ...RBAC, namespace: 'team-a' },
    { user: 'console-proxy', verb: 'impersonate', apiGroup: '', resource: 'users', name: 'alice' },
    {
      user: 'console-proxy',
      verb: 'impersonate',
      apiGroup: '',
      resource: 'groups',
      name: 'team-a-devs',
    },
    { group: 'support', verb: 'get', ...RBAC },
  );
  server = await startTestServer({
    env: {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
      KITE_AUTH_NEGATIVE_CACHE_TTL: '50ms',
    },
  });
  const store = createIssueStore(server.db);
  const seed = async (namespace: string, name: string) =>
    (
      await store.report({
        namespace,
        issueType: 'build',
        scope: { resourceType: 'component', resourceName: name, resourceNamespace: namespace },
        title: `Build failed: ${name}`,
        description: 'exit 1',
        severity: 'major',
      })
    ).issue.id;
  teamA = await seed('team-a', 'frontend');
  teamB = await seed('team-b', 'billing');
  await seed('team-c', 'search');
});
after(async () => {
  await server.stop();
  await kube.close();
});
beforeEach(() => {
  kube.down = false;
});

describe('authentication', () => {
  it('answers 401 without a token and with an invalid one, never echoing the token', async () => {
    for (const path of [
      '/api/v1/issues?namespace=team-a',
      `/api/v1/issues/${teamA}`,
      '/api/v1/namespaces',
    ]) {
      const missing = await get(path);
      assert.equal(missing.status, 401, path);
      assert.match(missing.body.error, /Bearer/);
      const invalid = await get(path, 'not-a-real-token-xyz');
      assert.equal(invalid.status, 401, path);
      assert.doesNotMatch(JSON.stringify(invalid.body), /not-a-real-token-xyz/);
    }
    const webhook = await client(server.url).post('/api/v1/webhooks/pipeline-failure', {
      pipelineName: 'p',
      namespace: 'team-a',
      failureReason: 'x',
    });
    assert.equal(webhook.status, 401);
  });

  it('keeps health, readiness, version, metrics and the OpenAPI document public', async () => {
    for (const path of [
      '/healthz',
      '/readyz',
      '/health',
      '/api/v1/health',
      '/api/v1/version',
      '/metrics',
      '/api/v1/openapi.json',
    ]) {
      assert.equal((await get(path)).status, 200, path);
    }
  });
});

describe('a user of namespace team-a', () => {
  it('lists, counts and sees namespaces of team-a only, with or without naming it', async () => {
    const named = await get('/api/v1/issues?namespace=team-a', 'token-alice');
    assert.equal(named.status, 200);
    assert.deepEqual(
      named.body.data.map((i: any) => i.namespace),
      ['team-a'],
    );
    const unnamed = await get('/api/v1/issues', 'token-alice');
    assert.deepEqual(
      unnamed.body.data.map((i: any) => i.namespace),
      ['team-a'],
    );
    const counts = await get('/api/v1/issues/counts', 'token-alice');
    assert.equal(counts.body.total, 1);
    const namespaces = await get('/api/v1/namespaces', 'token-alice');
    assert.deepEqual(namespaces.body, {
      all: false,
      namespaces: ['team-a'],
      places: [{ cluster: 'local', namespace: 'team-a' }],
    });
  });

  it('gets 403 naming team-b in a query, alone or beside team-a', async () => {
    for (const path of [
      '/api/v1/issues?namespace=team-b',
      '/api/v1/issues?namespace=team-a&namespace=team-b',
      '/api/v1/issues/counts?namespace=team-b',
    ]) {
      const answer = await get(path, 'token-alice');
      assert.equal(answer.status, 403, path);
      assert.match(answer.body.error, /team-b/);
    }
  });

  it("cannot reach team-b's issue by id: every method answers exactly like an unknown id", async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const before = await get(`/api/v1/issues/${teamB}`, 'token-bob');
    const attempts: [string, string, unknown?][] = [
      ['GET', `/api/v1/issues/${teamB}?namespace=team-a`],
      ['PUT', `/api/v1/issues/${teamB}`, { title: 'hijacked' }],
      ['DELETE', `/api/v1/issues/${teamB}`],
      ['POST', `/api/v1/issues/${teamB}/resolve`, {}],
      ['GET', `/api/v1/issues/${teamB}/events`],
      ['POST', `/api/v1/issues/${teamA}/related`, { relatedId: teamB }],
      ['POST', `/api/v1/issues/${teamB}/related`, { relatedId: teamA }],
      ['DELETE', `/api/v1/issues/${teamB}/related/${teamA}`],
    ];
    for (const [method, path, body] of attempts) {
      const answer = await call(method, path, 'token-alice', body);
      const twin = await call(method, path.replace(teamB, unknown), 'token-alice', body);
      assert.equal(answer.status, 404, `${method} ${path}`);
      assert.deepEqual(answer.body, twin.body, `${method} ${path} reveals nothing`);
    }
    const afterwards = await get(`/api/v1/issues/${teamB}`, 'token-bob');
    assert.deepEqual(afterwards.body, before.body, "team-b's issue is unchanged");
    assert.ok(
      kube.reviews.some((r) => r.user === 'alice' && r.attributes.namespace === 'team-b'),
      'the namespace checked is the namespace of the data, not the one named in the query',
    );
  });

  it("reads, updates, resolves and deletes team-a's issues", async () => {
    const store = createIssueStore(server.db);
    const { issue } = await store.report({
      namespace: 'team-a',
      issueType: 'test',
      scope: { resourceType: 'component', resourceName: 'api', resourceNamespace: 'team-a' },
      title: 't',
      description: 'd',
      severity: 'minor',
    });
    assert.equal((await get(`/api/v1/issues/${issue.id}`, 'token-alice')).status, 200);
    assert.equal(
      (await call('PUT', `/api/v1/issues/${issue.id}`, 'token-alice', { severity: 'major' })).body
        .severity,
      'major',
    );
    assert.equal(
      (await call('POST', `/api/v1/issues/${issue.id}/resolve`, 'token-alice', {})).body.state,
      'RESOLVED',
    );
    assert.equal((await get(`/api/v1/issues/${issue.id}/events`, 'token-alice')).status, 200);
    assert.equal((await call('DELETE', `/api/v1/issues/${issue.id}`, 'token-alice')).status, 204);
  });

  it('may not report (no create permission) even in team-a', async () => {
    const answer = await call('POST', '/api/v1/webhooks/pipeline-failure', 'token-alice', {
      pipelineName: 'p',
      namespace: 'team-a',
      failureReason: 'x',
    });
    assert.equal(answer.status, 403);
  });

  it('streams only the changes of team-a', async () => {
    const controller = new AbortController();
    const response = await fetch(new URL('/api/v1/events', server.url), {
      headers: as('token-alice'),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    await call('POST', '/api/v1/webhooks/pipeline-failure', 'token-operator', {
      pipelineName: 'stream',
      namespace: 'team-a',
      failureReason: 'x',
    });
    const store = createIssueStore(server.db);
    await store.report({
      namespace: 'team-b',
      issueType: 'build',
      scope: { resourceType: 'component', resourceName: 'hidden', resourceNamespace: 'team-b' },
      title: 't',
      description: 'd',
      severity: 'major',
    });
    await call('POST', '/api/v1/webhooks/pipeline-failure', 'token-operator', {
      pipelineName: 'stream-2',
      namespace: 'team-a',
      failureReason: 'x',
    });
    let text = '';
    while ((text.match(/event: created/g) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    assert.equal((text.match(/event: created/g) ?? []).length, 2);
    assert.doesNotMatch(text, /team-b/);
    const unauthorized = await fetch(new URL('/api/v1/events?namespace=team-b', server.url), {
      headers: as('token-alice'),
    });
    assert.equal(unauthorized.status, 403);
  });
});

describe('a reporter allowed only in team-a', () => {
  it('reports into team-a and cannot upsert into team-b through any webhook', async () => {
    const ok = await call('POST', '/api/v1/webhooks/build-failure', 'token-operator', {
      componentName: 'web',
      namespace: 'team-a',
      errorMessage: 'x',
    });
    assert.equal(ok.status, 201);
    const before = await server.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM issues WHERE namespace = 'team-b'`,
    );
    const payloads: Record<string, Record<string, unknown>> = {
      'pipeline-failure': { pipelineName: 'p', failureReason: 'x' },
      'pipeline-success': { pipelineName: 'billing' },
      'mintmaker-custom': { pipelineId: 'p', type: 'error', logs: ['x'] },
      'release-failure': { application: 'a', failurePhase: 'f', release: 'r' },
      'release-success': { application: 'a' },
      'build-failure': { componentName: 'billing', errorMessage: 'x' },
      'build-success': { componentName: 'billing' },
      'test-failure': { componentName: 'billing', scenario: 's', failureReason: 'x' },
      'test-success': { componentName: 'billing' },
    };
    for (const [name, payload] of Object.entries(payloads)) {
      const answer = await call('POST', `/api/v1/webhooks/${name}`, 'token-operator', {
        ...payload,
        namespace: 'team-b',
      });
      assert.equal(answer.status, 403, name);
      const sneaky = await call(
        'POST',
        `/api/v1/webhooks/${name}?namespace=team-a`,
        'token-operator',
        { ...payload, namespace: 'team-b' },
      );
      assert.equal(
        sneaky.status,
        400,
        `${name}: a query namespace cannot stand in for the payload's`,
      );
    }
    const created = await call('POST', '/api/v1/issues', 'token-operator', {
      title: 't',
      description: 'd',
      severity: 'major',
      issueType: 'build',
      namespace: 'team-b',
      scope: { resourceType: 'component', resourceName: 'x' },
    });
    assert.equal(created.status, 403);
    const afterwards = await server.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM issues WHERE namespace = 'team-b'`,
    );
    assert.equal(afterwards.rows[0]?.n, before.rows[0]?.n);
    assert.equal((await get(`/api/v1/issues/${teamB}`, 'token-bob')).body.state, 'ACTIVE');
  });
});

describe('cluster-wide readers', () => {
  it('read every namespace and see all namespaces with issues', async () => {
    const namespaces = await get('/api/v1/namespaces', 'token-admin');
    assert.equal(namespaces.body.all, true);
    assert.deepEqual(
      namespaces.body.namespaces.filter((n: string) => n.startsWith('team-')),
      ['team-a', 'team-b', 'team-c'],
    );
    const list = await get('/api/v1/issues?resourceName=search', 'token-admin');
    assert.equal(list.body.total, 1);
  });
});

describe('impersonation', () => {
  it('is honoured when the caller may impersonate the user and groups', async () => {
    const answer = await get('/api/v1/issues', 'token-proxy', {
      'impersonate-user': 'alice',
      'impersonate-group': 'team-a-devs',
    });
    assert.equal(answer.status, 200);
    assert.deepEqual([...new Set(answer.body.data.map((i: any) => i.namespace))], ['team-a']);
  });

  it('is refused (403) for a user or group the caller may not impersonate, and for callers without the right', async () => {
    assert.equal(
      (await get('/api/v1/issues', 'token-proxy', { 'impersonate-user': 'bob' })).status,
      403,
    );
    assert.equal(
      (
        await get('/api/v1/issues', 'token-proxy', {
          'impersonate-user': 'alice',
          'impersonate-group': 'team-b-devs',
        })
      ).status,
      403,
    );
    assert.equal(
      (await get('/api/v1/issues', 'token-alice', { 'impersonate-user': 'admin' })).status,
      403,
    );
  });

  it('needs Impersonate-User with any other impersonation header', async () => {
    assert.equal(
      (await get('/api/v1/issues', 'token-proxy', { 'impersonate-group': 'team-a-devs' })).status,
      400,
    );
  });
});

describe('malformed impersonation headers', () => {
  it('answer 400 naming the header when an Impersonate-Extra key is not valid percent-encoding', async () => {
    for (const token of ['token-proxy', 'token-alice']) {
      const answer = await get('/api/v1/issues', token, {
        'impersonate-user': 'alice',
        'impersonate-extra-%ZZ': 'x',
      });
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.body, {
        error: 'Impersonate-Extra-%zz: the key is not valid percent-encoding (RFC 3986)',
        details: { field: 'impersonate-extra-%zz' },
      });
    }
  });
});

describe('relations to issues in other namespaces', () => {
  it("show only as a count to a reader of one side, never with the other issue's id", async () => {
    const store = createIssueStore(server.db);
    const report = (namespace: string, name: string) =>
      store.report({
        namespace,
        issueType: 'test',
        scope: { resourceType: 'component', resourceName: name, resourceNamespace: namespace },
        title: `Tests failed: ${name}`,
        description: 'exit 1',
        severity: 'minor',
      });
    const mine = (await report('team-a', 'related-mine')).issue;
    const sibling = (await report('team-a', 'related-sibling')).issue;
    const foreign = (await report('team-b', 'related-foreign')).issue;
    await store.relate(mine.id, foreign.id);
    await store.relate(sibling.id, mine.id);

    const seen = await get(`/api/v1/issues/${mine.id}`, 'token-alice');
    assert.equal(seen.status, 200);
    assert.deepEqual(seen.body.relatedFrom, []);
    assert.equal(seen.body.relatedTo.length, 1);
    assert.equal(seen.body.relatedTo[0].sourceID, sibling.id);
    assert.deepEqual(seen.body.hiddenRelations, {
      count: 1,
      message: '1 related issue you cannot see',
    });
    assert.ok(!JSON.stringify(seen.body).includes(foreign.id), 'the foreign id never shows');
    const listed = await get('/api/v1/issues?namespace=team-a&limit=1000', 'token-alice');
    const inList = listed.body.data.find((issue: { id: string }) => issue.id === mine.id);
    assert.deepEqual(inList, seen.body);
    assert.ok(!JSON.stringify(listed.body).includes(foreign.id));

    // A reader of both namespaces sees the relation with both issues in brief.
    const admin = await get(`/api/v1/issues/${mine.id}`, 'token-admin');
    assert.equal(admin.body.hiddenRelations, undefined);
    assert.deepEqual(admin.body.relatedFrom[0].target, {
      id: foreign.id,
      title: 'Tests failed: related-foreign',
      severity: 'minor',
      state: 'ACTIVE',
      namespace: 'team-b',
      cluster: 'local',
    });
  });
});

describe('by-id routes', () => {
  it("spend the same access reviews on an unknown id as on another namespace's", async () => {
    kube.users.set('token-gina', { username: 'gina', groups: ['team-a-devs'] });
    assert.equal((await get(`/api/v1/issues/${teamA}`, 'token-gina')).status, 200);
    const reviewsFor = async (id: string) => {
      const before = kube.calls.subjectAccessReviews;
      const answer = await get(`/api/v1/issues/${id}`, 'token-gina');
      assert.equal(answer.status, 404);
      return kube.calls.subjectAccessReviews - before;
    };
    const foreign = await reviewsFor(teamB);
    const unknown = await reviewsFor('00000000-0000-4000-8000-00000000abcd');
    assert.equal(foreign, 1);
    assert.equal(unknown, foreign);
  });
});

describe('failing closed', () => {
  it('answers 503 while the Kubernetes API is unreachable, and recovers when it returns', async () => {
    kube.users.set('token-carol', { username: 'carol', groups: ['team-a-devs'] });
    kube.down = true;
    const down = await get('/api/v1/issues?namespace=team-a', 'token-carol');
    assert.equal(down.status, 503);
    assert.match(down.body.error, /Kubernetes API/);
    const byId = await get(`/api/v1/issues/${teamA}`, 'token-carol');
    assert.equal(byId.status, 503);
    kube.down = false;
    const back = await get('/api/v1/issues?namespace=team-a', 'token-carol');
    assert.equal(back.status, 200);
  });
});

describe('caching', () => {
  it('1,000 requests of one user send a bounded number of reviews', async () => {
    kube.users.set('token-dave', { username: 'dave', groups: ['team-a-devs'] });
    const before = { ...kube.calls };
    for (let i = 0; i < 1000; i += 1) {
      const answer = await get('/api/v1/issues/counts?namespace=team-a', 'token-dave');
      assert.equal(answer.status, 200);
    }
    assert.equal(kube.calls.tokenReviews - before.tokenReviews, 1, 'one TokenReview');
    assert.equal(
      kube.calls.subjectAccessReviews - before.subjectAccessReviews,
      1,
      'one SubjectAccessReview',
    );
  });

  it('concurrent first requests of one user share one TokenReview and one SubjectAccessReview', async () => {
    kube.users.set('token-frank', { username: 'frank', groups: ['team-a-devs'] });
    const before = { ...kube.calls };
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        get('/api/v1/issues/counts?namespace=team-a', 'token-frank'),
      ),
    );
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(kube.calls.tokenReviews - before.tokenReviews, 1);
    assert.equal(kube.calls.subjectAccessReviews - before.subjectAccessReviews, 1);
  });

  it('caches denials only briefly', async () => {
    kube.users.set('token-erin', { username: 'erin', groups: [] });
    assert.equal((await get('/api/v1/issues?namespace=team-c', 'token-erin')).status, 403);
    kube.grants.push({ user: 'erin', verb: 'get', ...RBAC, namespace: 'team-c' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await get('/api/v1/issues?namespace=team-c', 'token-erin')).status, 200);
  });
});
