/**
 * The subscriptions API (docs/notifications.md, the contract in docs/api.md) in
 * kubernetes mode against the Kubernetes API double: readers list and get, managers put
 * and delete, others get 403, callers who may not read get 404; bad bodies answer 400
 * naming the field and store nothing. Receivers' Secrets are read with the server's own
 * configuration, in the subscription's namespace, only when labelled for KITE.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { ISSUES_RBAC } from '../support/kube-auth-server.js';
import { settle, startHttpReceiver, type HttpReceiver } from '../support/notify-receivers.js';
import { useTestServer } from '../support/test-server.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const NS = 'team-a';
const SPEC = {
  receivers: [{ type: 'slack', url: { secret: { name: 'slack-hook', key: 'url' } } }],
};

let kube: KubeApiDouble;
let receiver: HttpReceiver;
const { api } = useTestServer(async () => {
  kube = await startKubeApiDouble();
  receiver = await startHttpReceiver();
  kube.namespaces.push(NS, 'team-b');
  for (const user of ['reader', 'manager', 'stranger']) {
    kube.users.set(`token-${user}`, { username: user, groups: [] });
  }
  kube.grants.push(
    { user: 'reader', verb: 'get', ...ISSUES_RBAC, namespace: NS },
    ...['get', 'update', 'create'].map((verb) => ({
      user: 'manager',
      verb,
      ...ISSUES_RBAC,
      namespace: NS,
    })),
  );
  return {
    env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig },
    notify: { pollMs: 100, backoffMs: 30, maxAttempts: 2 },
  };
});
after(async () => {
  await kube?.close();
  await receiver?.close();
});

const as = (user: string) => ({
  get: (path: string) => api.get(path, bearer(`token-${user}`)),
  put: (path: string, body: unknown) => api.call('PUT', path, body, bearer(`token-${user}`)),
  delete: (path: string) => api.call('DELETE', path, undefined, bearer(`token-${user}`)),
  post: (path: string, body: unknown) => api.call('POST', path, body, bearer(`token-${user}`)),
});
const path = (name = '', ns = NS) =>
  `/api/v1/namespaces/${ns}/subscriptions${name ? `/${name}` : ''}`;

describe('the subscriptions API', () => {
  it('a manager creates (201), replaces (200), reads and deletes a subscription', async () => {
    const created = await as('manager').put(path('slack'), SPEC);
    assert.equal(created.status, 201);
    const { createdAt, updatedAt, ...rest } = created.body;
    assert.deepEqual(rest, {
      name: 'slack',
      namespace: NS,
      source: 'api',
      match: {},
      receivers: SPEC.receivers,
      groupBy: ['namespace', 'application'],
      groupWait: '30s',
      groupInterval: '5m',
      repeatInterval: null,
    });
    assert.ok(Date.parse(createdAt) <= Date.parse(updatedAt));
    const replaced = await as('manager').put(path('slack'), {
      ...SPEC,
      match: { minSeverity: 'major', application: 'storefront' },
      source: 'configmap/team-subscriptions',
    });
    assert.equal(replaced.status, 200);
    assert.deepEqual(replaced.body.match, { minSeverity: 'major', application: 'storefront' });
    const read = await as('reader').get(path('slack'));
    assert.deepEqual(read.body, replaced.body);
    const bySource = await as('reader').get(`${path()}?source=configmap/team-subscriptions`);
    assert.deepEqual(bySource.body, { items: [replaced.body] });
    assert.deepEqual((await as('reader').get(`${path()}?source=api`)).body, { items: [] });
    assert.equal((await as('manager').delete(path('slack'))).status, 204);
    assert.equal((await as('manager').delete(path('slack'))).status, 404);
    assert.deepEqual((await as('reader').get(path())).body, { items: [] });
  });

  it('a reader without the manage permission gets 403 and changes nothing', async () => {
    const put = await as('reader').put(path('mine'), SPEC);
    assert.deepEqual(put, { ...put, status: 403 });
    assert.deepEqual(put.body, { error: 'Not allowed to manage issues in namespace team-a' });
    assert.equal((await as('manager').put(path('kept'), SPEC)).status, 201);
    assert.equal((await as('reader').delete(path('kept'))).status, 403);
    assert.equal((await as('reader').get(path('kept'))).status, 200);
    assert.equal((await as('manager').delete(path('kept'))).status, 204);
  });

  it('a caller who may not read the namespace gets 404 for every route', async () => {
    assert.equal((await as('manager').put(path('x'), SPEC)).status, 201);
    for (const answer of [
      await as('stranger').get(path()),
      await as('stranger').get(path('x')),
      await as('stranger').put(path('x'), SPEC),
      await as('stranger').delete(path('x')),
      await as('stranger').get(`/api/v1/namespaces/${NS}/notifications`),
    ]) {
      assert.equal(answer.status, 404);
    }
    assert.equal((await as('manager').get(path('x'))).status, 200);
    assert.equal((await as('manager').delete(path('x'))).status, 204);
  });

  it('bad subscription bodies answer 400 naming the problem, and store nothing', async () => {
    const cases: [unknown, string][] = [
      [{}, 'Missing required fields: receivers is required'],
      [{ receivers: [] }, 'Invalid request: receivers must NOT have fewer than 1 items'],
      [
        { receivers: [{ type: 'pager' }] },
        'Invalid request: receivers.0.type must be one of: slack, webhook, email',
      ],
      [
        { receivers: [{ type: 'slack' }] },
        'receivers.0: a slack receiver needs "url" (a secret reference)',
      ],
      [
        { receivers: [{ type: 'email' }] },
        'receivers.0: an email receiver needs "to" (one or more addresses)',
      ],
      [
        { receivers: [{ type: 'slack', url: 'https://hooks.example.com/x' }] },
        'Invalid request: receivers.0.url must be object',
      ],
      [
        { receivers: [{ type: 'slack', url: { file: '../etc/passwd' } }] },
        'Invalid request: receivers.0.url.file must be a file name without path separators',
      ],
      [
        { receivers: [{ type: 'slack', url: {} }] },
        'receivers.0.url: give exactly one of "secret" ({ name, key }) and "file"',
      ],
      [
        { ...SPEC, match: { minSeverity: 'urgent' } },
        'Invalid request: match.minSeverity must be one of: info, minor, major, critical',
      ],
      [
        { ...SPEC, match: { labelSelector: 'env in ()' } },
        'match.labelSelector: the set of values for "in" is empty',
      ],
      [
        { ...SPEC, groupWait: 'soon' },
        'Invalid request: groupWait must be a duration such as 0s, 30s, 5m or 4h',
      ],
      [
        { ...SPEC, groupBy: ['team'] },
        'Invalid request: groupBy.0 must be one of: namespace, application, component, issueType, severity',
      ],
      [
        { ...SPEC, source: 'elsewhere' },
        'Invalid request: source must be "api" or "configmap/<name>"',
      ],
      [{ ...SPEC, colour: 'red' }, 'Invalid request: body must NOT have additional properties'],
    ];
    for (const [body, error] of cases) {
      const answer = await as('manager').put(path('bad'), body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.error, error, JSON.stringify(body));
    }
    const badName = await as('manager').put(path('Bad_Name'), SPEC);
    assert.equal(badName.status, 400);
    assert.equal(
      badName.body.error,
      'Invalid request: name must be a DNS-1123 label (lowercase letters, digits and "-")',
    );
    assert.deepEqual((await as('reader').get(path())).body, { items: [] });
  });

  it('the OpenAPI document describes the routes from the schemas that validate them', async () => {
    const doc = (await api.get('/api/v1/openapi.json')).body;
    const named = doc.paths['/api/v1/namespaces/{namespace}/subscriptions/{name}'];
    assert.deepEqual(Object.keys(named).sort(), ['delete', 'get', 'put']);
    const body = named.put.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required, ['receivers']);
    assert.deepEqual(body.properties.receivers.items.properties.type.enum, [
      'slack',
      'webhook',
      'email',
    ]);
    assert.ok(doc.paths['/api/v1/namespaces/{namespace}/subscriptions'].get);
    assert.ok(doc.paths['/api/v1/namespaces/{namespace}/notifications'].get);
  });

  it("a receiver's Secret is used only when labelled kite.konflux-ci.dev/receiver=true", async () => {
    const hook = `${receiver.url}/services/secret-path-77`;
    const secret = (name: string, labelled: boolean) =>
      kube.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          namespace: NS,
          name,
          ...(labelled ? { labels: { 'kite.konflux-ci.dev/receiver': 'true' } } : {}),
        },
        data: { url: Buffer.from(hook).toString('base64') },
      });
    secret('labelled', true);
    secret('unlabelled', false);
    for (const name of ['labelled', 'unlabelled']) {
      const spec = {
        receivers: [{ type: 'slack', url: { secret: { name, key: 'url' } } }],
        groupWait: '0s',
      };
      assert.equal((await as('manager').put(path(name), spec)).status, 201);
    }
    const before = receiver.received.length;
    await as('manager').post('/api/v1/issues', {
      namespace: NS,
      issueType: 'build',
      severity: 'major',
      title: 'Build failed: web',
      description: 'exit 1',
      scope: { resourceType: 'component', resourceName: 'web' },
    });
    await receiver.waitFor(before + 1);
    let dead: any[] = [];
    for (let i = 0; i < 200 && dead.length === 0; i++) {
      dead = (await as('reader').get(`/api/v1/namespaces/${NS}/notifications?state=dead`)).body
        .items;
      await settle(20);
    }
    assert.equal(receiver.received.length, before + 1);
    assert.deepEqual(
      dead.map((d) => [d.subscription, d.lastError]),
      [
        [
          'unlabelled',
          'secret unlabelled in team-a is not labelled kite.konflux-ci.dev/receiver=true',
        ],
      ],
    );
    const listed = JSON.stringify(
      (await as('reader').get(`/api/v1/namespaces/${NS}/notifications`)).body,
    );
    assert.ok(!listed.includes('secret-path-77'));
    for (const name of ['labelled', 'unlabelled']) await as('manager').delete(path(name));
  });
});
