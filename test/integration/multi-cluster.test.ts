/**
 * Many clusters, one KITE (docs/multi-cluster.md): a hub whose own cluster is `c1` and
 * whose member is `c2`, each a Kubernetes API double with its own `team-a`, its own
 * users and its own operator service account (of the same name on both). Issues of the
 * two `team-a`s stay apart; each user sees only what their cluster's RBAC grants; a
 * member that cannot be asked makes its data unavailable (503), never open, while the
 * other's is served; and the operator of `c2` cannot write `c1`'s issues.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  SERVICE_ACCOUNT_TOKEN,
  startKubeApiDouble,
  type KubeApiDouble,
} from '../support/kube-api.js';
import { ISSUES_RBAC } from '../support/kube-auth-server.js';
import { ensureBuilt, runCli } from '../support/cli.js';
import { openEventReader } from '../support/event-streams.js';
import { useTestServer } from '../support/test-server.js';

const OPERATOR = 'system:serviceaccount:kite:kite-operator';
const as = (token: string, cluster?: string) => ({
  authorization: `Bearer ${token}`,
  ...(cluster ? { 'x-kite-cluster': cluster } : {}),
});
const failure = (pipelineName: string) => ({
  pipelineName,
  namespace: 'team-a',
  failureReason: 'step-build failed',
});

describe('a hub with a member cluster', () => {
  let c1: KubeApiDouble;
  let c2: KubeApiDouble;
  const { server, api } = useTestServer(async () => {
    [c1, c2] = await Promise.all([startKubeApiDouble(), startKubeApiDouble()]);
    for (const kube of [c1, c2]) kube.namespaces.push('team-a', 'team-b');
    c1.users.set('token-op1', { username: OPERATOR, groups: ['system:serviceaccounts'] });
    c1.users.set('token-alice', { username: 'alice', groups: ['system:authenticated'] });
    c1.users.set('token-carol', { username: 'carol', groups: ['system:authenticated'] });
    c1.users.set('token-mallory', { username: 'mallory', groups: ['system:masters'] });
    c1.users.set('token-dave', { username: 'dave', groups: ['system:authenticated'] });
    c2.users.set('token-op2', { username: OPERATOR, groups: ['system:serviceaccounts'] });
    c2.users.set('token-bob', { username: 'bob', groups: ['system:authenticated'] });
    c2.users.set('token-proxy2', { username: 'proxy2', groups: ['system:authenticated'] });
    // The operator service account of each cluster may report everywhere on its own.
    for (const kube of [c1, c2])
      kube.grants.push({ user: OPERATOR, verb: 'create', ...ISSUES_RBAC });
    c1.grants.push({ user: 'alice', verb: 'get', ...ISSUES_RBAC, namespace: 'team-a' });
    // dave reads team-a on both clusters.
    for (const kube of [c1, c2]) {
      kube.grants.push({ user: 'dave', verb: 'get', ...ISSUES_RBAC, namespace: 'team-a' });
    }
    c2.grants.push(
      { user: 'bob', verb: 'get', ...ISSUES_RBAC, namespace: 'team-a' },
      // carol signs in through c1 (a shared identity provider) and reads c2's team-a.
      { user: 'carol', verb: 'get', ...ISSUES_RBAC, namespace: 'team-a' },
      // c2's masters read everything there; c1's masters are nobody on c2.
      { group: 'system:masters', verb: 'get', ...ISSUES_RBAC },
      // proxy2 may impersonate anyone on c2: that right is c2's alone.
      { user: 'proxy2', verb: 'impersonate', apiGroup: '', resource: 'users' },
      // c2 lets the operator's name write c1-looking data: it must not matter.
      { user: OPERATOR, verb: 'update', ...ISSUES_RBAC },
    );
    const dir = await mkdtemp(join(tmpdir(), 'kite-clusters-'));
    await writeFile(join(dir, 'c2-token'), `${SERVICE_ACCOUNT_TOKEN}\n`);
    await writeFile(
      join(dir, 'clusters.yaml'),
      `clusters:\n  - name: c2\n    server: ${c2.url}\n    tokenFile: ${join(dir, 'c2-token')}\n` +
        // The doubles speak plain HTTP, which the client library allows only so.
        '    insecureSkipTlsVerify: true\n',
    );
    return {
      env: {
        KITE_AUTH_MODE: 'kubernetes',
        KUBECONFIG: c1.kubeconfig,
        KITE_CLUSTER_NAME: 'c1',
        KITE_CLUSTERS_FILE: join(dir, 'clusters.yaml'),
        KITE_AUTH_CACHE_TTL: '1ms',
        KITE_AUTH_NEGATIVE_CACHE_TTL: '1ms',
        KITE_KUBE_API_TIMEOUT: '2s',
      },
    };
  });
  after(async () => {
    await c1?.close();
    await c2?.close();
  });

  const ids: Record<'c1' | 'c2', string> = { c1: '', c2: '' };

  it('keeps the issues of two clusters apart: one identity per cluster', async () => {
    const one = await api.post(
      '/api/v1/webhooks/pipeline-failure',
      failure('build'),
      as('token-op1'),
    );
    const two = await api.post(
      '/api/v1/webhooks/pipeline-failure',
      failure('build'),
      as('token-op2', 'c2'),
    );
    assert.equal(one.status, 201);
    assert.equal(two.status, 201, JSON.stringify(two.body));
    assert.notEqual(
      one.body.issue.id,
      two.body.issue.id,
      'the same report on two clusters is two issues',
    );
    assert.deepEqual(
      [
        one.body.issue.cluster,
        one.body.issue.namespace,
        two.body.issue.cluster,
        two.body.issue.namespace,
      ],
      ['c1', 'team-a', 'c2', 'team-a'],
    );
    ids.c1 = one.body.issue.id;
    ids.c2 = two.body.issue.id;
    const again = await api.post(
      '/api/v1/webhooks/pipeline-failure',
      failure('build'),
      as('token-op2', 'c2'),
    );
    assert.equal(again.body.issue.id, ids.c2, 'a repeat on c2 is the same c2 issue');
    assert.equal(again.body.issue.occurrences, 2);
  });

  it("shows a user of c1's team-a nothing of c2's team-a, and the other way round", async () => {
    const alice = await api.get('/api/v1/issues?namespace=team-a', as('token-alice'));
    assert.equal(alice.status, 200);
    assert.deepEqual(
      alice.body.data.map((i: any) => [i.cluster, i.id]),
      [['c1', ids.c1]],
    );
    assert.equal((await api.get(`/api/v1/issues/${ids.c2}`, as('token-alice'))).status, 404);
    const counts = await api.get('/api/v1/issues/counts', as('token-alice'));
    assert.equal(counts.body.total, 1, 'counts cover c1 only');

    const bob = await api.get('/api/v1/issues', as('token-bob', 'c2'));
    assert.deepEqual(
      bob.body.data.map((i: any) => [i.cluster, i.id]),
      [['c2', ids.c2]],
    );
    assert.equal((await api.get(`/api/v1/issues/${ids.c1}`, as('token-bob', 'c2'))).status, 404);
    const onC1 = await api.get('/api/v1/issues?cluster=c1', as('token-bob', 'c2'));
    assert.deepEqual([onC1.status, onC1.body.data], [200, []], 'bob may read nothing on c1');
    const named = await api.get(
      '/api/v1/issues?cluster=c1&namespace=team-a',
      as('token-bob', 'c2'),
    );
    assert.equal(named.status, 403);
  });

  it('authorizes a user on the cluster the data lives on, by name and groups', async () => {
    const carol = await api.get('/api/v1/issues', as('token-carol'));
    assert.deepEqual(
      carol.body.data.map((i: any) => i.id),
      [ids.c2],
    );
    const byCluster = await api.get(
      '/api/v1/issues?cluster=c2&namespace=team-a',
      as('token-carol'),
    );
    assert.deepEqual(
      byCluster.body.data.map((i: any) => i.id),
      [ids.c2],
    );
    assert.equal((await api.get(`/api/v1/issues/${ids.c2}`, as('token-carol'))).status, 200);
  });

  it("never carries one cluster's system identities to another", async () => {
    // c2 lets the group system:masters read everything; mallory is a master of c1 only.
    const mallory = await api.get('/api/v1/issues', as('token-mallory'));
    assert.equal(mallory.status, 200);
    assert.deepEqual(mallory.body.data, []);
    assert.equal((await api.get(`/api/v1/issues/${ids.c2}`, as('token-mallory'))).status, 404);
  });

  it('never lets a proxy of c2 speak for a user on c1', async () => {
    // proxy2 impersonates alice, who reads c1's team-a: c2 allows the impersonation, but
    // what alice may do on c1 is not c2's to hand out.
    const headers = { ...as('token-proxy2', 'c2'), 'impersonate-user': 'alice' };
    const listed = await api.get('/api/v1/issues', headers);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.data, []);
    assert.equal((await api.get(`/api/v1/issues/${ids.c1}`, headers)).status, 404);
    const named = await api.get('/api/v1/issues?cluster=c1&namespace=team-a', headers);
    assert.equal(named.status, 403);
    // alice herself, signing in on c1, reads it.
    assert.equal((await api.get(`/api/v1/issues/${ids.c1}`, as('token-alice'))).status, 200);
  });

  it("refuses the operator of c2 as c1's: its token, its body, its service-account name", async () => {
    // Reviewed by c1, which does not know c2's token.
    const unnamed = await api.post(
      '/api/v1/webhooks/pipeline-failure',
      failure('x'),
      as('token-op2'),
    );
    assert.equal(unnamed.status, 401);
    const named = await api.post(
      '/api/v1/webhooks/pipeline-failure',
      failure('x'),
      as('token-op2', 'c1'),
    );
    assert.equal(named.status, 401);
    // Authenticated by c2, it names c1 in the body: the same service-account name may
    // report on c1, but a service account of c2 is nobody on c1.
    const created = await api.post(
      '/api/v1/issues',
      {
        title: 'Forged',
        description: 'from c2',
        severity: 'critical',
        issueType: 'build',
        namespace: 'team-a',
        cluster: 'c1',
        scope: { resourceType: 'component', resourceName: 'forged' },
      },
      as('token-op2', 'c2'),
    );
    assert.equal(created.status, 403);
    const changed = await api.post(`/api/v1/issues/${ids.c1}/resolve`, {}, as('token-op2', 'c2'));
    assert.equal(changed.status, 404, "c1's issue does not exist for c2's operator");
    const c1Issues = await api.get('/api/v1/issues?cluster=c1', as('token-alice'));
    assert.deepEqual(
      c1Issues.body.data.map((i: any) => i.id),
      [ids.c1],
      'nothing was written on c1',
    );
    assert.equal(c1Issues.body.data[0].state, 'ACTIVE');
  });

  it('answers an unknown X-Kite-Cluster 401 and an unknown cluster= 400', async () => {
    assert.equal((await api.get('/api/v1/issues', as('token-bob', 'c9'))).status, 401);
    const unknown = await api.get('/api/v1/issues?cluster=c9', as('token-alice'));
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error, /c9/);
    for (const path of ['/api/v1/groups', '/api/v1/overview', '/api/v1/namespaces']) {
      assert.equal((await api.get(`${path}?cluster=c9`, as('token-alice'))).status, 400, path);
      assert.equal((await api.get(`${path}?cluster=c1`, as('token-alice'))).status, 200, path);
    }
    const clusters = await api.get('/api/v1/clusters', as('token-alice'));
    assert.deepEqual(clusters.body, { local: 'c1', clusters: ['c1', 'c2'] });
  });

  it("streams a reader of c1's team-a the changes of c1 only, each naming its cluster", async () => {
    const alice = await openEventReader(server.url, { headers: as('token-alice'), readMs: 5000 });
    const dave = await openEventReader(server.url, {
      query: '?cluster=c2',
      headers: as('token-dave'),
      readMs: 5000,
    });
    try {
      assert.equal(alice.response.status, 200);
      assert.equal(dave.response.status, 200);
      await Promise.all([alice.opening(), dave.opening()]);
      // c2's change first: were it delivered to alice, it would come before c1's.
      const c2 = await api.post(
        '/api/v1/webhooks/pipeline-failure',
        failure('live'),
        as('token-op2', 'c2'),
      );
      const c1 = await api.post(
        '/api/v1/webhooks/pipeline-failure',
        failure('live'),
        as('token-op1'),
      );
      const seen = await alice.take();
      assert.deepEqual(
        [seen.event, seen.data.id, seen.data.cluster, seen.data.namespace],
        ['created', c1.body.issue.id, 'c1', 'team-a'],
      );
      const theirs = await dave.take();
      assert.deepEqual(
        [theirs.data.id, theirs.data.cluster, theirs.data.namespace],
        [c2.body.issue.id, 'c2', 'team-a'],
      );
    } finally {
      alice.close();
      dave.close();
    }
  });

  it('kite issues list --cluster lists one cluster; over several, a CLUSTER column leads', async () => {
    ensureBuilt();
    const home = await mkdtemp(join(tmpdir(), 'kite-cli-home-'));
    const kite = (...args: string[]) =>
      runCli(
        [
          'issues',
          'list',
          '--resource-name',
          'build',
          ...args,
          '--server',
          server.url,
          '--token',
          'token-dave',
        ],
        {
          HOME: home,
        },
      );
    const both = await kite('-A');
    assert.equal(both.code, 0, both.stderr);
    const [header, ...rows] = both.stdout.trim().split('\n');
    assert.match(header ?? '', /^CLUSTER\s+NAMESPACE\s+ID/);
    assert.deepEqual(rows.map((row) => row.split(/\s+/).slice(0, 3)).sort(), [
      ['c1', 'team-a', ids.c1],
      ['c2', 'team-a', ids.c2],
    ]);
    const one = await kite('-n', 'team-a', '--cluster', 'c2', '-o', 'jsonpath={.data[*].id}');
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, ids.c2);
  });

  it('names each overview row by cluster and namespace', async () => {
    const overview = await api.get('/api/v1/overview', as('token-dave'));
    assert.equal(overview.status, 200);
    const rows = overview.body.namespaces.rows.map(
      (row: { cluster: string; namespace: string }) => `${row.cluster} ${row.namespace}`,
    );
    assert.deepEqual(rows.sort(), ['c1 team-a', 'c2 team-a']);
  });

  it("with a member down, makes its data 503 and still serves the other's", async () => {
    c2.down = true;
    try {
      const carol = await api.get('/api/v1/issues', as('token-carol'));
      assert.equal(carol.status, 200, "c1's data is still served");
      assert.equal(carol.headers.get('x-kite-clusters-unavailable'), 'c2');
      assert.deepEqual(carol.body.data, [], 'what c2 would decide is not guessed');
      const alice = await api.get(
        '/api/v1/issues?namespace=team-a&resourceName=build',
        as('token-alice'),
      );
      assert.equal(alice.status, 200);
      assert.deepEqual(
        alice.body.data.map((i: any) => i.id),
        [ids.c1],
      );
      assert.equal(alice.headers.get('x-kite-clusters-unavailable'), 'c2');
      assert.equal((await api.get('/api/v1/issues?cluster=c2', as('token-carol'))).status, 503);
      assert.equal((await api.get(`/api/v1/issues/${ids.c2}`, as('token-carol'))).status, 503);
      assert.equal((await api.get('/api/v1/issues', as('token-bob', 'c2'))).status, 503);
      const c1Only = await api.get('/api/v1/issues?cluster=c1', as('token-alice'));
      assert.equal(c1Only.status, 200);
      assert.equal(c1Only.headers.get('x-kite-clusters-unavailable'), null);
    } finally {
      c2.down = false;
    }
    const back = await api.get(`/api/v1/issues/${ids.c2}`, as('token-carol'));
    assert.equal(back.status, 200, 'served again once the member answers');
  });
});
