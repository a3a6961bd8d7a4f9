/**
 * Task updates end to end: the operator's task-updates controller, with its real
 * informers, reporter and client, watches PipelineRuns in the Kubernetes API test double,
 * reads the acceptable bundles from a ConfigMap there (test/fixtures/task-updates/), judges
 * by an injected clock and reports to the real `kite serve` on the suite's database, which
 * authenticates it through TokenReview and SubjectAccessReview. What is asserted is what
 * the server's API shows: the issues, their fields and their timelines.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { RunningOperator } from '../../src/operator/operator.js';
import { startKubeApiDouble, type KubeApiDouble, type KubeObject } from '../support/kube-api.js';
import { NO_RUN_CONTROLLERS, startTestOperator } from '../support/operator.js';
import { pipelineRun } from '../support/runs.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };
const OPERATOR_USER = 'system:serviceaccount:kite:kite-operator';
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/task-updates/${name}`, import.meta.url), 'utf8');
const DATA = fixture('acceptable-bundles.yaml');
const REPO = 'quay.io/konflux-ci/tekton-catalog';
const BUILDAH_04 = `${REPO}/task-buildah:0.4@sha256:${'4'.repeat(64)}`;
const BUILDAH_05 = `${REPO}/task-buildah:0.5@sha256:${'5'.repeat(64)}`;
const MIGRATIONS = 'https://github.com/konflux-ci/build-definitions/blob/main/task';
const COMPONENT = 'appstudio.openshift.io/component';
const APPLICATION = 'appstudio.openshift.io/application';

let kube: KubeApiDouble;
let server: TestServer;
let operator: RunningOperator;
let now = new Date('2026-12-01T00:00:00Z');
const logs: string[] = [];
const reader = { authorization: 'Bearer token-reader' };

const bundlesConfigMap = (text: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: 'kite', name: 'kite-task-bundles' },
  data: { 'data.yaml': text },
});

/** A completed push build of `component` whose recorded pipeline uses `buildah`. */
function build(namespace: string, name: string, component: string, at: number, bundle: string) {
  const run = pipelineRun({
    namespace,
    name,
    type: 'build',
    component,
    eventType: 'push',
    pipeline: `${component}-on-push`,
    completedAt: at,
    succeeded: true,
  });
  const taskRef = {
    resolver: 'bundles',
    params: [
      { name: 'name', value: 'buildah' },
      { name: 'bundle', value: bundle },
      { name: 'kind', value: 'task' },
    ],
  };
  const pipelineSpec = { tasks: [{ name: 'build-container', taskRef }] };
  return { ...run, status: { ...(run.status as object), pipelineSpec } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  ms = 15_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function issues(namespace: string) {
  const answer = await client(server.url).get(
    `/api/v1/issues?namespace=${namespace}&limit=100`,
    reader,
  );
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.data as any[];
}

/** The issue of `component-task/<scope>` once it matches `ready` (default: it exists). */
const issueWhen = (namespace: string, scope: string, ready: (i: any) => boolean = () => true) =>
  eventually(async () => {
    const found = (await issues(namespace)).find(
      (i) => i.scope.resourceType === 'component-task' && i.scope.resourceName === scope,
    );
    return found && ready(found) ? found : undefined;
  }, `the issue of ${namespace}/${scope}`);

/** An issue's timeline, oldest first. */
async function timeline(id: string) {
  const answer = await client(server.url).get(`/api/v1/issues/${id}/events?limit=100`, reader);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return (answer.body.data as any[]).slice().reverse();
}

const reports = async (result: string) =>
  Number(
    new RegExp(`kite_operator_reports_total\\{result="${result}"\\} (\\d+)`).exec(
      await operator.metrics(),
    )?.[1],
  );

/** Waits for several resyncs and the refresh of the data, then for the queue to drain. */
async function settled() {
  await sleep(700);
  await operator.idle();
}

before(async () => {
  kube = await startKubeApiDouble();
  kube.users.set('token-operator', { username: OPERATOR_USER, groups: ['system:serviceaccounts'] });
  kube.users.set('token-reader', { username: 'reader', groups: [] });
  kube.grants.push(
    { user: OPERATOR_USER, verb: 'create', ...RBAC },
    { user: 'reader', verb: 'get', ...RBAC },
  );
  kube.apply(bundlesConfigMap(DATA));
  server = await startTestServer({
    env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig },
  });
  ({ operator } = await startTestOperator({
    apiUrl: server.url,
    kubeconfig: kube.kubeconfig,
    config: [
      ...NO_RUN_CONTROLLERS,
      '  task-updates: { namespaces: [shop-tenant, e2e-window, e2e-resolve] }',
      'taskUpdates:',
      '  migrations: [buildah/0.5]',
    ],
    env: {
      KITE_TASK_BUNDLES_CONFIGMAP: 'kite/kite-task-bundles/data.yaml',
      KITE_TASK_BUNDLES_REFRESH: '100ms',
    },
    logs,
    now: () => now,
  }));
});

after(async () => {
  await operator?.close();
  await server?.stop();
  await kube?.close();
});

describe('task updates from the operator through the server', () => {
  it('each outdated task of a push build is one task-update issue with its due date, migration and labels', async () => {
    // The fixture's push builds: frontend's pipeline spec uses buildah 0.4 and an old
    // git-clone digest, backend's TaskRuns record buildah 0.4 and the current git-clone.
    for (const object of parseAllDocuments(fixture('push-builds.yaml'))) {
      kube.apply(object.toJS() as KubeObject);
    }
    const buildah = await issueWhen('shop-tenant', 'frontend/buildah');
    assert.equal(buildah.issueType, 'task-update');
    assert.equal(buildah.state, 'ACTIVE');
    assert.equal(buildah.severity, 'minor');
    assert.equal(Date.parse(buildah.dueAt), Date.parse('2027-01-15T00:00:00Z'));
    assert.match(buildah.title, /^Task buildah 0\.4 in component frontend is outdated/);
    assert.deepEqual(buildah.migration, {
      required: true,
      url: `${MIGRATIONS}/buildah/0.5/MIGRATION.md`,
    });
    assert.equal(buildah.labels[COMPONENT], 'frontend');
    assert.equal(buildah.labels[APPLICATION], 'shop');
    assert.equal(buildah.labels['kite.konflux-ci.dev/task'], 'buildah');
    const gitClone = await issueWhen('shop-tenant', 'frontend/git-clone');
    assert.equal(Date.parse(gitClone.dueAt), Date.parse('2027-02-20T00:00:00Z'));
    assert.equal(gitClone.severity, 'minor');
    assert.equal(gitClone.migration, null, 'a newer digest of the same version needs none');
    const backend = await issueWhen('shop-tenant', 'backend/buildah');
    assert.equal(Date.parse(backend.dueAt), Date.parse('2027-01-15T00:00:00Z'));
    await settled();
    assert.deepEqual((await issues('shop-tenant')).map((i) => i.scope.resourceName).sort(), [
      'backend/buildah',
      'frontend/buildah',
      'frontend/git-clone',
    ]);
  });

  it('resyncs that find the same outdated tasks add no occurrence and no timeline event', async () => {
    const before = await issues('shop-tenant');
    await settled();
    for (const issue of before) {
      const after = (await issues('shop-tenant')).find((i) => i.id === issue.id);
      assert.equal(after.occurrences, 1, issue.scope.resourceName);
      assert.equal(after.updatedAt, issue.updatedAt, issue.scope.resourceName);
      assert.equal((await timeline(issue.id)).length, 1, issue.scope.resourceName);
    }
  });

  it('as the clock crosses the window and the expiry the same issue turns major, then critical, on its timeline', async () => {
    // No application label: the operator leaves `application` out, the server takes it.
    kube.apply(build('e2e-window', 'api-on-push-1', 'api', 1, BUILDAH_04));
    const minor = await issueWhen('e2e-window', 'api/buildah');
    assert.equal(minor.severity, 'minor');
    assert.equal(minor.labels[APPLICATION], undefined);
    now = new Date('2027-01-05T00:00:00Z'); // 10 days before the expiry
    await issueWhen('e2e-window', 'api/buildah', (i) => i.severity === 'major');
    now = new Date('2027-01-15T00:00:01Z');
    const critical = await issueWhen('e2e-window', 'api/buildah', (i) => i.severity === 'critical');
    assert.equal(critical.id, minor.id);
    await settled();
    const summaries = (await timeline(minor.id)).map((e) => e.summary);
    assert.equal(summaries.length, 3, JSON.stringify(summaries));
    assert.doesNotMatch(summaries[0], /^severity/);
    assert.match(summaries[1], /^severity minor → major: /);
    assert.match(summaries[2], /^severity major → critical: /);
  });

  it("the component's next push build on the current digest resolves its issue", async () => {
    kube.apply(build('e2e-resolve', 'web-on-push-1', 'web', 1, BUILDAH_04));
    const open = await issueWhen('e2e-resolve', 'web/buildah');
    assert.equal(open.severity, 'critical', 'judged by the clock, now past the expiry');
    const next = build('e2e-resolve', 'web-on-push-2', 'web', 2, BUILDAH_05);
    kube.apply(next);
    const resolved = await issueWhen('e2e-resolve', 'web/buildah', (i) => i.state === 'RESOLVED');
    assert.equal(resolved.id, open.id);
    const events = await timeline(open.id);
    assert.equal(events.at(-1).runId, next.metadata.uid);
  });

  it('unreadable bundles data resolves nothing and creates nothing', async () => {
    await settled();
    const snapshot = async () =>
      (
        await Promise.all(['shop-tenant', 'e2e-window', 'e2e-resolve'].map((ns) => issues(ns)))
      ).flatMap((list) => list.map((i) => `${i.id} ${i.state} ${i.severity} ${i.updatedAt}`));
    const before = await snapshot();
    kube.apply(bundlesConfigMap('task-bundles: ['));
    await eventually(
      () => (logs.some((l) => l.includes('task bundles data unreadable')) ? true : undefined),
      'the log line',
    );
    await settled();
    assert.deepEqual(await snapshot(), before);
    kube.apply(bundlesConfigMap(DATA));
  });

  it("the server accepted every one of the operator's reports", async () => {
    await settled();
    assert.ok((await reports('sent')) >= 7, 'reports were sent');
    assert.equal(await reports('failed'), 0, 'none rejected');
    assert.equal(await reports('retried'), 0, 'none refused nor retried');
  });
});
