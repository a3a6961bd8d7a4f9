/**
 * Root-cause groups (issue 20, docs/root-cause-groups.md) through the real server in
 * Kubernetes auth mode: one cause failing 15 components in 6 namespaces is one group,
 * whose progress follows the members' recoveries; a reader of 2 of the namespaces sees
 * those members and a count of the others, nothing else; splits and merges stick.
 * Same-cause reports share their first description line (what the signature reads today).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { ISSUES_RBAC } from '../support/kube-auth-server.js';
import { useTestServer } from '../support/test-server.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const ADMIN = bearer('token-admin');
const PARTIAL = bearer('token-partial');
const NAMESPACES = ['ns-1', 'ns-2', 'ns-3', 'ns-4', 'ns-5', 'ns-6'];
/** 3 + 3 + 3 + 2 + 2 + 2 = 15 components. */
const COMPONENTS = NAMESPACES.flatMap((namespace, n) =>
  Array.from({ length: n < 3 ? 3 : 2 }, (_, i) => ({ namespace, name: `${namespace}-comp-${i}` })),
);
const CAUSE = 'unauthorized: authentication required (quay.io token expired)';

describe('root-cause groups', () => {
  let kube: KubeApiDouble;
  const { api } = useTestServer(async () => {
    kube = await startKubeApiDouble();
    kube.namespaces.push(...NAMESPACES, 'ns-other');
    for (const user of ['admin', 'partial', 'outsider'])
      kube.users.set(`token-${user}`, { username: user, groups: [] });
    kube.grants.push(
      ...['get', 'update', 'create'].map((verb) => ({ user: 'admin', verb, ...ISSUES_RBAC })),
      ...['ns-1', 'ns-2'].flatMap((namespace) =>
        ['get', 'update'].map((verb) => ({ user: 'partial', verb, ...ISSUES_RBAC, namespace })),
      ),
      { user: 'outsider', verb: 'get', ...ISSUES_RBAC, namespace: 'ns-other' },
    );
    return {
      env: {
        KITE_AUTH_MODE: 'kubernetes',
        KUBECONFIG: kube.kubeconfig,
        KITE_ROOT_CAUSE_GROUPS: 'on',
      },
    };
  });
  after(() => kube?.close());

  const fail = async (namespace: string, name: string, cause = CAUSE) => {
    const answer = await api.post<{ id: string }>(
      '/api/v1/issues',
      {
        namespace,
        issueType: 'build',
        severity: 'major',
        title: `Build failed: ${name}`,
        description: `${cause}\nin component ${name} of ${namespace}`,
        scope: { resourceType: 'component', resourceName: name, resourceNamespace: namespace },
      },
      ADMIN,
    );
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return answer.body.id;
  };
  const groups = async (headers = ADMIN, query = '') =>
    (await api.get(`/api/v1/groups${query}`, headers)).body;
  const group = (id: string, headers = ADMIN) => api.get(`/api/v1/groups/${id}`, headers);

  const ids: string[] = [];
  let groupId = '';

  it('fifteen components in six namespaces failing with one cause form one group', async () => {
    for (const { namespace, name } of COMPONENTS) ids.push(await fail(namespace, name));
    const unrelated = await fail('ns-1', 'lonely', 'npm ERR! missing script: lint');
    const page = await groups();
    assert.equal(page.total, 1);
    const [shown] = page.data;
    groupId = shown.id;
    assert.deepEqual(
      {
        size: shown.size,
        progress: shown.progress,
        state: shown.state,
        namespaces: shown.namespaces,
        hidden: shown.hidden,
      },
      {
        size: 15,
        progress: '0 of 15 recovered',
        state: 'ACTIVE',
        namespaces: NAMESPACES,
        hidden: undefined,
      },
    );
    const detail = (await group(groupId)).body;
    assert.deepEqual(
      detail.members.map((m: { issueId: string }) => m.issueId).sort(),
      [...ids].sort(),
    );
    assert.ok(
      detail.members.every((m: { reason: { kind: string } }) => m.reason.kind === 'signature'),
    );
    assert.deepEqual((await api.get(`/api/v1/issues/${ids[7]}`, ADMIN)).body.group, {
      id: groupId,
      size: 15,
    });
    assert.equal((await api.get(`/api/v1/issues/${unrelated}`, ADMIN)).body.group, undefined);
  });

  it('members recover one by one; the last recovery resolves the group; a regression reopens it', async () => {
    for (const [n, id] of ids.entries()) {
      assert.equal((await api.post(`/api/v1/issues/${id}/resolve`, {}, ADMIN)).status, 200);
      const now = (await group(groupId)).body;
      assert.equal(now.progress, `${n + 1} of 15 recovered`);
      assert.equal(now.state, n === 14 ? 'RESOLVED' : 'ACTIVE');
    }
    assert.deepEqual(
      (await groups(ADMIN, '?state=RESOLVED')).data.map((g: { id: string }) => g.id),
      [groupId],
    );
    const { namespace, name } = COMPONENTS[0] ?? { namespace: '', name: '' };
    await fail(namespace, name);
    const reopened = (await group(groupId)).body;
    assert.deepEqual(
      [reopened.state, reopened.progress, reopened.resolvedAt],
      ['ACTIVE', '14 of 15 recovered', null],
    );
  });

  it('a reader of 2 of the 6 namespaces sees those members and a count of the others, nothing else', async () => {
    const page = await groups(PARTIAL);
    assert.equal(page.total, 1);
    const detail = (await group(groupId, PARTIAL)).body;
    assert.deepEqual({ ...page.data[0], members: detail.members }, detail);
    assert.deepEqual(detail.namespaces, ['ns-1', 'ns-2']);
    assert.deepEqual(
      detail.members.map((m: { component: string }) => m.component).sort(),
      COMPONENTS.filter((c) => c.namespace === 'ns-1' || c.namespace === 'ns-2').map((c) => c.name),
    );
    assert.deepEqual(detail.hidden, {
      count: 9,
      message: 'and 9 more in namespaces you cannot see',
    });
    assert.equal(detail.size, 15);
    const text = JSON.stringify([page, detail]);
    for (const hidden of ['ns-3', 'ns-4', 'ns-5', 'ns-6'])
      assert.ok(!text.includes(hidden), `nothing of ${hidden} shows`);
    // Filters obey the same rule: a namespace they may not read is refused, not answered.
    assert.equal((await api.get('/api/v1/groups?namespace=ns-3', PARTIAL)).status, 403);
    const outsider = bearer('token-outsider');
    assert.deepEqual(await groups(outsider), { data: [], total: 0, limit: 50, offset: 0 });
    assert.equal((await group(groupId, outsider)).status, 404);
  });

  it('a split member stays out after its next report; a merge sticks for later reports', async () => {
    const split = ids[0] ?? '';
    const hiddenMember = ids[14] ?? '';
    assert.equal(
      (await api.post(`/api/v1/groups/${groupId}/split`, { issueId: hiddenMember }, PARTIAL))
        .status,
      404,
      'a member the caller cannot see cannot be split by them',
    );
    assert.equal(
      (await api.post(`/api/v1/groups/${groupId}/split`, { issueId: split }, PARTIAL)).status,
      204,
    );
    await fail(COMPONENTS[0]?.namespace ?? '', COMPONENTS[0]?.name ?? '');
    assert.equal((await group(groupId)).body.size, 14);
    assert.equal((await api.get(`/api/v1/issues/${split}`, ADMIN)).body.group, undefined);

    const other = 'error: go.mod requires go >= 1.23 (running go 1.22)';
    await fail('ns-1', 'go-a', other);
    await fail('ns-2', 'go-b', other);
    const second = (await groups(ADMIN)).data.find((g: { id: string }) => g.id !== groupId);
    assert.equal(second?.size, 2);
    assert.equal(
      (await api.post(`/api/v1/groups/${groupId}/merge`, { groupId: second.id }, PARTIAL)).status,
      403,
      'merging needs write where every member is',
    );
    assert.equal(
      (await api.post(`/api/v1/groups/${groupId}/merge`, { groupId: second.id }, ADMIN)).status,
      204,
    );
    assert.equal((await group(second.id)).status, 404);
    await fail('ns-3', 'go-c', other);
    const merged = (await group(groupId)).body;
    assert.equal(merged.size, 17);
    assert.deepEqual(
      merged.members.filter((m: { reason: { value: string } }) => m.reason.value.includes('go.mod'))
        .length,
      3,
    );
    assert.equal((await groups(ADMIN)).total, 1);
  });
});
