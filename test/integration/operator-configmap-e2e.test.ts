/**
 * Subscriptions declared in a labelled ConfigMap, through the real server: the operator's
 * informer reads the ConfigMap in the Kubernetes API test double and syncs it to
 * `kite serve` (which authenticates the operator by TokenReview and checks its `manage`
 * right by SubjectAccessReview); the server validates and stores each subscription, and
 * its dispatcher sends an issue's message to the receiver the ConfigMap names. What is
 * asserted is what the server's API answers and what the receiver gets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningOperator } from '../../src/operator/operator.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import {
  createSecretsDir,
  startHttpReceiver,
  type HttpReceiver,
  type SecretsDir,
} from '../support/notify-receivers.js';
import { startTestOperator, warningsIn } from '../support/operator.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };
const OPERATOR_USER = 'system:serviceaccount:kite:kite-operator';
const NS = 'cm-e2e';
const LABEL = { 'kite.konflux-ci.dev/subscriptions': 'true' };

let kube: KubeApiDouble;
let server: TestServer;
let operator: RunningOperator;
let receiver: HttpReceiver;
let secrets: SecretsDir;
const logs: string[] = [];
const as = (user: string) => ({ authorization: `Bearer token-${user}` });

const webhook = (name: string, extra: object = {}) => ({
  name,
  match: { minSeverity: 'major' },
  receivers: [{ type: 'webhook', url: { file: 'hook' } }],
  groupWait: '0s',
  ...extra,
});

function configMap(name: string, entries: unknown[], namespace = NS) {
  kube.apply({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { namespace, name, labels: LABEL },
    data: { 'subscriptions.yaml': JSON.stringify(entries) },
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server's subscriptions of NS as `name source`, sorted, read as a namespace reader. */
async function stored(): Promise<string[]> {
  const answer = await client(server.url).get(
    `/api/v1/namespaces/${NS}/subscriptions`,
    as('reader'),
  );
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return (answer.body.items as { name: string; source: string }[])
    .map((s) => `${s.name} ${s.source}`)
    .sort();
}

async function until(expected: string[], ms = 15_000) {
  const deadline = Date.now() + ms;
  let now: string[] = [];
  while (Date.now() < deadline) {
    now = await stored();
    if (JSON.stringify(now) === JSON.stringify(expected)) return;
    await sleep(50);
  }
  assert.deepEqual(now, expected, 'the server never held the declared subscriptions');
}

before(async () => {
  kube = await startKubeApiDouble();
  kube.namespaces.push(NS);
  kube.users.set('token-operator', { username: OPERATOR_USER, groups: ['system:serviceaccounts'] });
  for (const user of ['reader', 'manager']) {
    kube.users.set(`token-${user}`, { username: user, groups: [] });
  }
  kube.grants.push(
    // The operator's ClusterRole (deploy/operator): report, and manage subscriptions.
    ...['get', 'create', 'update'].map((verb) => ({ user: OPERATOR_USER, verb, ...RBAC })),
    { user: 'reader', verb: 'get', ...RBAC, namespace: NS },
    ...['get', 'update'].map((verb) => ({ user: 'manager', verb, ...RBAC, namespace: NS })),
  );
  receiver = await startHttpReceiver();
  secrets = await createSecretsDir();
  await secrets.write(NS, 'hook', `${receiver.url}/hook`);
  server = await startTestServer({
    env: {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
      KITE_RECEIVER_SECRETS_DIR: secrets.dir,
    },
    notify: { pollMs: 100, backoffMs: 30, holdRecheckMs: 150 },
  });
  ({ operator } = await startTestOperator({
    apiUrl: server.url,
    kubeconfig: kube.kubeconfig,
    logs,
  }));
});

after(async () => {
  await operator?.close();
  await server?.stop();
  await receiver?.close();
  await secrets?.remove();
  await kube?.close();
});

describe('ConfigMap subscriptions through the real server', () => {
  it("a declared subscription is stored with its source, and its receiver gets an issue's message", async () => {
    configMap('alerts', [webhook('builds')]);
    await until(['builds configmap/alerts']);
    const answer = await client(server.url).get(
      `/api/v1/namespaces/${NS}/subscriptions/builds`,
      as('reader'),
    );
    assert.deepEqual(
      { match: answer.body.match, receivers: answer.body.receivers },
      { match: { minSeverity: 'major' }, receivers: webhook('builds').receivers },
    );
    const report = await client(server.url).post(
      '/api/v1/issues',
      {
        namespace: NS,
        issueType: 'build',
        severity: 'critical',
        title: 'Build failed: web',
        description: 'step build exited 1',
        scope: { resourceType: 'component', resourceName: 'web' },
      },
      as('manager'),
    );
    assert.equal(report.status, 201, JSON.stringify(report.body));
    const [message] = await receiver.waitFor(1);
    assert.equal(message?.json?.namespace, NS);
    assert.equal(message?.json?.issues?.[0]?.issueId, report.body.id);
    assert.equal(message?.json?.subscription, 'builds');
  });

  it("an entry the server refuses is a warning with the server's reason; the others are stored", async () => {
    configMap('more', [webhook('no-receivers', { receivers: [] }), webhook('releases')]);
    await until(['builds configmap/alerts', 'releases configmap/more']);
    const deadline = Date.now() + 10_000;
    let warned: Record<string, unknown> | undefined;
    while (!warned && Date.now() < deadline) {
      warned = warningsIn(logs).find(
        (w) => w.configMap === `${NS}/more` && w.entry === 'no-receivers',
      );
      await sleep(50);
    }
    assert.match(String(warned?.problem), /receivers/);
  });

  it('deleting the ConfigMap deletes its subscriptions on the server; one made through the API stays', async () => {
    const made = await client(server.url).call(
      'PUT',
      `/api/v1/namespaces/${NS}/subscriptions/manual`,
      { receivers: [{ type: 'webhook', url: { file: 'hook' } }] },
      as('manager'),
    );
    assert.equal(made.status, 201, JSON.stringify(made.body));
    kube.remove('v1', 'ConfigMap', NS, 'alerts');
    kube.remove('v1', 'ConfigMap', NS, 'more');
    await until(['manual api']);
  });
});
