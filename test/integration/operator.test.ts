/**
 * The bridge operator end to end: the real informers of `@kubernetes/client-node` list
 * and watch the Kubernetes API test double (PipelineRuns, TaskRuns, Releases, Leases),
 * and the real API server on the suite's database receives the reports, authenticating
 * the operator's service-account token through TokenReview and SubjectAccessReview.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { resolveOperatorConfig, type OperatorConfig } from '../../src/operator/operator-config.js';
import { startOperator, type RunningOperator } from '../../src/operator/operator.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { fixtureForDouble } from '../support/fixtures.js';
import { failedTaskRun, mintmakerRun, pipelineRun, release } from '../support/runs.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };
const OPERATOR_USER = 'system:serviceaccount:kite:kite-operator';
let kube: KubeApiDouble;
let server: TestServer;
let operator: RunningOperator;
let tokenFile: string;
const reader = { authorization: 'Bearer token-reader' };

async function operatorConfig(overrides: Partial<OperatorConfig> = {}, apiUrl = server.url) {
  const config = await resolveOperatorConfig(
    {
      apiUrl,
      tokenFile,
      kubeconfig: kube.kubeconfig,
      clusterName: 'test-cluster',
      host: '127.0.0.1',
      port: '0',
      leaderElect: false,
      leaseNamespace: 'kite',
    },
    {
      KITE_LOGS_URL: 'https://konflux.example.com/ns/{namespace}/pipelinerun/{name}',
      KITE_BACKOFF_BASE: '20ms',
      KITE_BACKOFF_MAX: '200ms',
      KITE_LEASE_RETRY: '100ms',
    },
    () => Promise.resolve(undefined),
  );
  return { ...config, ...overrides };
}

const quiet = () => pino({ level: process.env.KITE_TEST_LOG ?? 'silent' });

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
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function issues(namespace: string, url = server.url) {
  const answer = await client(url).get(`/api/v1/issues?namespace=${namespace}&limit=100`, reader);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.data as any[];
}

/** The issue of a scope once it matches `ready` (default: it exists). */
function issueWhen(namespace: string, scope: string, ready: (issue: any) => boolean = () => true) {
  return eventually(async () => {
    const found = (await issues(namespace)).find((i) => i.scope.resourceName === scope);
    return found && ready(found) ? found : undefined;
  }, `an issue for ${namespace}/${scope}`);
}

/** Fails (instead of hanging the suite) when a promise takes longer than `ms`. */
function within<T>(promise: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits until the operator delivered everything it holds. */
async function settled(op: RunningOperator = operator) {
  await new Promise((resolve) => setTimeout(resolve, 300));
  await within(op.idle(), 'the operator to deliver everything');
}

before(async () => {
  kube = await startKubeApiDouble();
  kube.users.set('token-operator', { username: OPERATOR_USER, groups: ['system:serviceaccounts'] });
  kube.users.set('token-reader', { username: 'reader', groups: [] });
  kube.grants.push(
    { user: OPERATOR_USER, verb: 'create', ...RBAC },
    { user: 'reader', verb: 'get', ...RBAC },
  );
  const dir = await mkdtemp(join(tmpdir(), 'kite-operator-'));
  tokenFile = join(dir, 'token');
  await writeFile(tokenFile, 'token-operator\n');
  server = await startTestServer({
    env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig },
  });
  operator = await startOperator(await operatorConfig(), { log: quiet() });
  await within(operator.synced, 'the informers to sync');
});

after(async () => {
  await operator?.close();
  await server?.stop();
  await kube?.close();
});

describe('PipelineRuns', () => {
  it('a failed build opens one active build issue of the component, naming the failed task', async () => {
    const run = pipelineRun({
      namespace: 'op-build',
      name: 'frontend-on-push-abc12',
      type: 'build',
      component: 'frontend',
      application: 'shop',
      eventType: 'push',
      completedAt: 1,
      children: ['frontend-on-push-abc12-build-container'],
    });
    kube.apply(failedTaskRun(run, 'build-container', 'step-build exited with code 1'));
    kube.apply(run);
    const issue = await issueWhen('op-build', 'frontend');
    assert.equal(issue.state, 'ACTIVE');
    assert.equal(issue.issueType, 'build');
    assert.equal(issue.scope.resourceType, 'component');
    assert.match(issue.title, /Build failed for component frontend: task build-container/);
    assert.match(issue.description, /Task build-container failed .*step-build exited with code 1/);
    assert.equal(issue.labels['pipelinesascode.tekton.dev/event-type'], 'push');
    assert.equal(issue.labels['appstudio.openshift.io/application'], 'shop');
    assert.equal(issue.labels['kite.konflux-ci.dev/cluster'], 'test-cluster');
    assert.deepEqual(
      issue.links.map((l: any) => l.url),
      ['https://konflux.example.com/ns/op-build/pipelinerun/frontend-on-push-abc12'],
    );
    assert.equal((await issues('op-build')).length, 1);
  });

  it('a later successful run of the same component resolves the issue', async () => {
    kube.apply(
      pipelineRun({
        namespace: 'op-build',
        name: 'frontend-on-push-def34',
        type: 'build',
        component: 'frontend',
        completedAt: 2,
        succeeded: true,
      }),
    );
    const issue = await issueWhen('op-build', 'frontend', (i) => i.state === 'RESOLVED');
    assert.equal(issue.occurrences, 1);
  });

  it('20 failed runs of one component are one issue with 20 occurrences', async () => {
    for (let n = 1; n <= 20; n += 1) {
      kube.apply(
        pipelineRun({
          namespace: 'op-many',
          name: `backend-on-push-${n}`,
          type: 'build',
          component: 'backend',
          completedAt: n,
        }),
      );
    }
    const issue = await issueWhen('op-many', 'backend', (i) => i.occurrences === 20);
    assert.equal(issue.state, 'ACTIVE');
    assert.equal((await issues('op-many')).length, 1);
  });

  it('a pipeline that never started is a failure with its reason', async () => {
    kube.apply(
      pipelineRun({
        namespace: 'op-invalid',
        name: 'nightly-x7',
        pipeline: 'nightly',
        completedAt: 1,
        started: false,
        reason: 'CouldntGetPipeline',
        message:
          'Error retrieving pipeline for pipelinerun op-invalid/nightly-x7: pipeline "nightly" not found',
      }),
    );
    const issue = await issueWhen('op-invalid', 'nightly');
    assert.equal(issue.issueType, 'pipeline');
    assert.equal(issue.scope.resourceType, 'pipeline');
    assert.match(issue.description, /never started: CouldntGetPipeline: .*not found/);
  });

  it('integration test runs are test issues with the scenario as a label; pull requests default to minor', async () => {
    kube.apply(
      pipelineRun({
        namespace: 'op-test',
        name: 'shop-enterprise-contract-9k',
        type: 'test',
        component: 'cart',
        scenario: 'enterprise-contract',
        eventType: 'pull_request',
        completedAt: 1,
      }),
    );
    const issue = await issueWhen('op-test', 'cart');
    assert.equal(issue.issueType, 'test');
    assert.equal(issue.severity, 'minor');
    assert.equal(issue.labels['test.appstudio.openshift.io/scenario'], 'enterprise-contract');
    assert.match(issue.title, /Integration test enterprise-contract failed for component cart/);
  });

  it('runs still in progress are not reported', async () => {
    kube.apply(
      pipelineRun({ namespace: 'op-running', name: 'busy-1', component: 'busy', type: 'build' }),
    );
    await settled();
    assert.deepEqual(await issues('op-running'), []);
  });
});

describe('order safety', () => {
  it('a success that completed later than a failure wins even when the failure is seen last', async () => {
    kube.apply(
      pipelineRun({
        namespace: 'op-order',
        name: 'api-2',
        type: 'build',
        component: 'api',
        completedAt: 10,
        succeeded: true,
      }),
    );
    await settled();
    kube.apply(
      pipelineRun({
        namespace: 'op-order',
        name: 'api-1',
        type: 'build',
        component: 'api',
        completedAt: 5,
      }),
    );
    await settled();
    const active = (await issues('op-order')).filter((i) => i.state === 'ACTIVE');
    assert.deepEqual(active, []);
  });

  it('a failure that completed later than a success stays open when the success is seen last', async () => {
    kube.apply(
      pipelineRun({
        namespace: 'op-order',
        name: 'web-2',
        type: 'build',
        component: 'web',
        completedAt: 10,
      }),
    );
    await issueWhen('op-order', 'web');
    kube.apply(
      pipelineRun({
        namespace: 'op-order',
        name: 'web-1',
        type: 'build',
        component: 'web',
        completedAt: 5,
        succeeded: true,
      }),
    );
    await settled();
    const issue = await issueWhen('op-order', 'web');
    assert.equal(issue.state, 'ACTIVE');
  });
});

describe('MintMaker and Releases', () => {
  it('a MintMaker run for a component of team-a is an issue in team-a, not in mintmaker', async () => {
    kube.apply(
      mintmakerRun({
        name: 'renovate-x1',
        componentNamespace: 'team-a',
        component: 'x',
        completedAt: 1,
        succeeded: false,
      }),
    );
    const issue = await issueWhen('team-a', 'x');
    assert.equal(issue.issueType, 'dependency');
    assert.equal(issue.scope.resourceType, 'component');
    assert.match(
      issue.title,
      /Dependency update \(MintMaker\) failed for component x \(acme_x@main\)/,
    );
    assert.deepEqual(await issues('mintmaker'), []);
  });

  it('a run labelled for another namespace outside the MintMaker namespace reports nothing there', async () => {
    kube.apply(
      mintmakerRun({
        name: 'fake-renovate',
        runNamespace: 'op-attacker',
        componentNamespace: 'op-victim',
        component: 'y',
        completedAt: 1,
        succeeded: false,
      }),
    );
    await settled();
    assert.deepEqual(await issues('op-victim'), []);
  });

  it('a failed release opens a release issue of its ReleasePlan naming the phase; a successful one resolves it', async () => {
    kube.apply(
      release({
        namespace: 'op-rel',
        name: 'shop-rel-1',
        application: 'shop',
        completedAt: 1,
        succeeded: false,
      }),
    );
    const issue = await issueWhen('op-rel', 'shop-prod');
    assert.equal(issue.issueType, 'release');
    assert.equal(issue.scope.resourceType, 'release-plan');
    assert.equal(issue.labels['appstudio.openshift.io/application'], 'shop');
    assert.equal(issue.severity, 'critical');
    assert.match(
      issue.description,
      /failed during managed pipeline: Failed: task push-to-registry failed/,
    );
    kube.apply(
      release({
        namespace: 'op-rel',
        name: 'shop-rel-2',
        application: 'shop',
        completedAt: 2,
        succeeded: true,
      }),
    );
    await issueWhen('op-rel', 'shop-prod', (i) => i.state === 'RESOLVED');
  });
});

describe('watch robustness and delivery', () => {
  it('after 410 Gone the informers list again and miss nothing', async () => {
    const lists = kube.calls.lists.pipelineruns ?? 0;
    kube.compact();
    kube.dropWatches();
    kube.apply(
      pipelineRun({
        namespace: 'op-gone',
        name: 'late-1',
        type: 'build',
        component: 'late',
        completedAt: 1,
      }),
    );
    kube.bookmark();
    await issueWhen('op-gone', 'late');
    assert.ok((kube.calls.lists.pipelineruns ?? 0) > lists, 'the informer listed again');
  });

  it('an operator restart re-reports what it sees without duplicating anything', async () => {
    const namespaces = ['op-build', 'op-many', 'op-order', 'team-a', 'op-rel'];
    const snapshot = async () =>
      (await Promise.all(namespaces.map((ns) => issues(ns))))
        .flat()
        .map(
          (i) =>
            `${i.namespace}/${i.scope.resourceName}/${i.state}/${i.occurrences}/${i.updatedAt}`,
        )
        .sort();
    await settled();
    const before = await snapshot();
    await operator.close();
    operator = await startOperator(await operatorConfig(), { log: quiet() });
    await within(operator.synced, 'the informers to sync');
    await settled();
    assert.deepEqual(await snapshot(), before);
    const metrics = await operator.metrics();
    assert.match(metrics, /kite_operator_reports_total\{result="sent"\} [1-9]/, 'it did re-send');
  });

  it('reports made while the API server is down arrive after it returns', async () => {
    const port = await freePort();
    const down = await startOperator(await operatorConfig({}, `http://127.0.0.1:${port}`), {
      log: quiet(),
    });
    let later: TestServer | undefined;
    try {
      await within(down.synced, 'the informers to sync');
      kube.apply(
        pipelineRun({
          namespace: 'op-down',
          name: 'svc-1',
          type: 'build',
          component: 'svc',
          completedAt: 1,
        }),
      );
      await eventually(async () => {
        const text = await down.metrics();
        return /kite_operator_reports_total\{result="retried"\} [1-9]/.test(text)
          ? true
          : undefined;
      }, 'retries while the server is down');
      assert.ok(down.queueDepth > 0, 'the reports wait in the queue');
      later = await startTestServer({
        port,
        env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig },
      });
      const found = await eventually(async () => {
        const list = await issues('op-down', later?.url);
        return list.length > 0 ? list : undefined;
      }, 'the report after the server returned');
      assert.equal(found[0].scope.resourceName, 'svc');
    } finally {
      await down.close();
      await later?.stop();
    }
  });

  it('is not ready until it can list the cluster, then syncs and reports without a restart', async () => {
    kube.down = true;
    const late = await startOperator(await operatorConfig(), { log: quiet() });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await fetch(`${late.url}/readyz`)).status, 503);
      assert.equal((await fetch(`${late.url}/healthz`)).status, 200);
      assert.equal(late.ready, false);
      kube.down = false;
      await within(late.synced, 'the informers to sync');
      assert.equal((await fetch(`${late.url}/readyz`)).status, 200);
      assert.match(
        await late.metrics(),
        /kite_operator_informer_restarts_total\{resource="taskruns"\} [1-9]/,
      );
    } finally {
      kube.down = false;
      await late.close();
    }
  });

  it('a report refused for one namespace (403) is retried alone until the grant exists', async () => {
    kube.users.set('token-limited', { username: 'limited-operator', groups: [] });
    kube.grants.push({
      user: 'limited-operator',
      verb: 'create',
      ...RBAC,
      namespace: 'op-allowed',
    });
    const limitedToken = join(await mkdtemp(join(tmpdir(), 'kite-limited-')), 'token');
    await writeFile(limitedToken, 'token-limited');
    const limited = await startOperator(await operatorConfig({ tokenFile: limitedToken }), {
      log: quiet(),
    });
    try {
      await within(limited.synced, 'the informers to sync');
      kube.apply(
        pipelineRun({
          namespace: 'op-denied',
          name: 'd-1',
          type: 'build',
          component: 'd',
          completedAt: 1,
        }),
      );
      kube.apply(
        pipelineRun({
          namespace: 'op-allowed',
          name: 'a-1',
          type: 'build',
          component: 'a',
          completedAt: 1,
        }),
      );
      await issueWhen('op-allowed', 'a');
      await eventually(async () => {
        const text = await limited.metrics();
        return /kite_operator_reports_total\{result="retried"\} [1-9]/.test(text)
          ? true
          : undefined;
      }, 'the refused report to be retried');
      kube.grants.push({
        user: 'limited-operator',
        verb: 'create',
        ...RBAC,
        namespace: 'op-denied',
      });
      // The main operator (allowed everywhere) must not be the one reporting it: stop it
      // from seeing this run by checking the limited one's own counter instead.
      await eventually(
        async () => {
          const text = await limited.metrics();
          return /kite_operator_reports_total\{result="sent"\} [2-9]/.test(text) ? true : undefined;
        },
        'the refused report to be delivered once allowed',
        20_000,
      );
    } finally {
      await limited.close();
    }
  });

  it('/healthz, /readyz and /metrics answer', async () => {
    const get = (path: string) => fetch(`${operator.url}${path}`);
    assert.equal((await get('/healthz')).status, 200);
    assert.equal((await get('/readyz')).status, 200);
    const metrics = await (await get('/metrics')).text();
    for (const name of [
      'kite_operator_events_total',
      'kite_operator_reports_total',
      'kite_operator_queue_depth',
      'kite_operator_leader',
    ]) {
      assert.match(metrics, new RegExp(`^${name}`, 'm'));
    }
  });
});

describe('real-shaped Konflux objects (test/fixtures/konflux)', () => {
  it('a cancelled run neither opens nor resolves an issue, and is counted', async () => {
    kube.apply(
      pipelineRun({
        namespace: 'op-cancel',
        name: 'lib-on-push-1',
        type: 'build',
        component: 'lib',
        eventType: 'push',
        completedAt: 1,
        reason: 'PipelineRunTimeout',
        message: 'PipelineRun "lib-on-push-1" failed to finish within "1h0m0s"',
        started: false,
      }),
    );
    const failed = await issueWhen('op-cancel', 'lib');
    for (const [name, reason] of [
      ['lib-on-push-2', 'Cancelled'],
      ['lib-on-push-3', 'StoppedRunningFinally'],
    ] as const) {
      kube.apply(
        pipelineRun({
          namespace: 'op-cancel',
          name,
          type: 'build',
          component: 'lib',
          eventType: 'push',
          completedAt: 2,
          reason,
          message: `PipelineRun "${name}" was cancelled`,
        }),
      );
    }
    kube.apply(
      pipelineRun({
        namespace: 'op-cancel-new',
        name: 'cli-on-pull-request-1',
        type: 'build',
        component: 'cli',
        eventType: 'pull_request',
        labels: { 'pipelinesascode.tekton.dev/pull-request': '7' },
        completedAt: 2,
        reason: 'Cancelled',
      }),
    );
    kube.apply(
      pipelineRun({
        namespace: 'mintmaker',
        name: 'renovate-cancelled-1',
        pipeline: 'mintmaker-renovate',
        completedAt: 2,
        reason: 'Cancelled',
        labels: {
          'mintmaker.appstudio.redhat.com/namespace': 'op-cancel-mm',
          'mintmaker.appstudio.redhat.com/component': 'lib',
        },
      }),
    );
    await eventually(async () => {
      const metrics = await operator.metrics();
      const mintmaker =
        /^kite_operator_cancelled_runs_total\{controller="mintmaker",reason="Cancelled"\} 1$/m;
      if (!mintmaker.test(metrics)) return undefined;
      const count = (reason: string) =>
        new RegExp(
          `^kite_operator_cancelled_runs_total\\{controller="pipelineruns",reason="${reason}"\\} (\\d+)$`,
          'm',
        ).exec(metrics)?.[1];
      return count('Cancelled') === '2' && count('StoppedRunningFinally') === '1'
        ? true
        : undefined;
    }, 'the cancelled runs to be counted');
    await settled();
    const [after] = await issues('op-cancel');
    assert.equal(after.id, failed.id);
    assert.equal(after.state, 'ACTIVE');
    assert.equal(after.occurrences, 1);
    assert.match(after.description, /^The pipeline never started: PipelineRunTimeout/);
    assert.deepEqual(await issues('op-cancel-new'), []);
    assert.deepEqual(await issues('op-cancel-mm'), []);
  });

  it('a managed release pipeline failure is one issue in the tenant namespace, naming the task and step', async () => {
    for (const fixture of ['release-managed-pipeline-failed', 'release-managed-pipelinerun']) {
      for (const object of fixtureForDouble(fixture)) kube.apply(object);
    }
    const issue = await issueWhen('user-tenant', 'devfile-sample-prod');
    assert.equal(issue.scope.resourceType, 'release-plan');
    assert.equal(
      issue.title,
      'Release failed for application devfile-sample (release plan devfile-sample-prod) during managed pipeline: task push-snapshot, step push-snapshot',
    );
    await settled();
    assert.equal((await issues('user-tenant')).length, 1);
    assert.deepEqual(await issues('rhtap-releng-tenant'), []);
  });

  it('an integration test issue names every failing scenario and drops each as it recovers', async () => {
    const objects = fixtureForDouble('pull-request-integration-tests-failed');
    for (const object of objects) kube.apply(object);
    const prefix = 'Integration tests failed for component devfile-sample-python, pull request #42';
    await issueWhen(
      'user-tenant',
      'devfile-sample-python#42',
      (i) =>
        i.title ===
        `${prefix}: e2e-tests (task run-e2e); enterprise-contract (task verify); image-scan (task clair-scan)`,
    );
    const failedScan = objects.find((o) => o.metadata?.name?.includes('image-scan'));
    assert.ok(failedScan?.metadata);
    const imageScan = {
      ...structuredClone(failedScan),
      metadata: {
        ...structuredClone(failedScan.metadata),
        name: 'devfile-sample-image-scan-ok',
        uid: 'image-scan-ok',
      },
      status: {
        completionTime: '2026-11-20T13:30:00Z',
        conditions: [
          { type: 'Succeeded', status: 'True', reason: 'Succeeded', message: 'Tasks Completed: 2' },
        ],
      },
    };
    kube.apply(imageScan);
    const updated = await issueWhen(
      'user-tenant',
      'devfile-sample-python#42',
      (i) => i.title === `${prefix}: e2e-tests (task run-e2e); enterprise-contract (task verify)`,
    );
    assert.equal(updated.state, 'ACTIVE');
    assert.doesNotMatch(updated.description, /manifest unknown/);
  });
});

describe('configuration', () => {
  it('the config chooses the controllers, their namespaces and label selectors', async () => {
    const limited = await startOperator(
      await operatorConfig({
        controllers: {
          pipelineruns: { namespaces: ['op-cfg-a', 'op-cfg-b'], labelSelector: 'kite-test=yes' },
          releases: { enabled: false },
          mintmaker: { enabled: false },
        },
      }),
      { log: quiet() },
    );
    // The single-replica operator of the other tests sees everything; this one is judged
    // by its own counters.
    try {
      await within(limited.synced, 'the informers to sync');
      const labelled = { 'kite-test': 'yes' };
      kube.apply(
        pipelineRun({
          namespace: 'op-cfg-a',
          name: 'in-1',
          component: 'in',
          completedAt: 1,
          labels: labelled,
        }),
      );
      kube.apply(
        pipelineRun({
          namespace: 'op-cfg-c',
          name: 'out-ns',
          component: 'out',
          completedAt: 1,
          labels: labelled,
        }),
      );
      kube.apply(
        pipelineRun({ namespace: 'op-cfg-b', name: 'out-label', component: 'out', completedAt: 1 }),
      );
      kube.apply(
        release({
          namespace: 'op-cfg-a',
          name: 'rel',
          application: 'app',
          completedAt: 1,
          succeeded: false,
        }),
      );
      await settled(limited);
      const metrics = await limited.metrics();
      assert.match(
        metrics,
        /kite_operator_events_total\{controller="pipelineruns",event="add"\} 1$/m,
      );
      assert.doesNotMatch(metrics, /controller="releases"/);
      assert.doesNotMatch(metrics, /controller="mintmaker"/);
    } finally {
      await limited.close();
    }
  });
});

describe('leader election', () => {
  it('of two replicas only the Lease holder reports, and the other takes over when it stops', async () => {
    await operator.close(); // the single-replica operator of the other tests would report too
    const config = await operatorConfig({ leaderElection: true, leaseDurationSeconds: 2 });
    const a = await startOperator(config, { log: quiet() });
    const b = await startOperator(config, { log: quiet() });
    const replicas = [a, b];
    try {
      await within(Promise.all(replicas.map((r) => r.synced)), 'the informers to sync');
      const leader = await eventually(() => replicas.find((r) => r.leading), 'a leader');
      const standby = replicas.find((r) => r !== leader) as RunningOperator;
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(replicas.filter((r) => r.leading).length, 1, 'exactly one leader');
      kube.apply(
        pipelineRun({
          namespace: 'op-ha',
          name: 'ha-1',
          type: 'build',
          component: 'ha',
          completedAt: 1,
        }),
      );
      await issueWhen('op-ha', 'ha');
      await settled(leader);
      assert.match(await standby.metrics(), /kite_operator_reports_total\{result="sent"\} 0$/m);
      assert.equal((await issueWhen('op-ha', 'ha')).occurrences, 1);
      await leader.close();
      await eventually(() => (standby.leading ? true : undefined), 'the standby to take over');
      kube.apply(
        pipelineRun({
          namespace: 'op-ha',
          name: 'ha-2',
          type: 'build',
          component: 'ha',
          completedAt: 2,
        }),
      );
      await issueWhen('op-ha', 'ha', (i) => i.occurrences === 2);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });

  it('a replica closed while a round of the election is in flight never reports, and leaves the Lease free', async () => {
    await operator.close();
    kube.apply(
      pipelineRun({
        namespace: 'op-closing',
        name: 'closing-1',
        type: 'build',
        component: 'closing',
        completedAt: 1,
      }),
    );
    const config = await operatorConfig({ leaderElection: true, leaseDurationSeconds: 2 });
    const held = kube.hold('leases');
    const replica = await startOperator(config, { log: quiet() });
    await within(replica.synced, 'the informers to sync');
    await eventually(() => (held.waiting() > 0 ? true : undefined), 'a round in flight');
    const closing = replica.close();
    // The round goes on after close() began: it may take the Lease, never the reporting.
    held.release();
    await within(closing, 'the replica to close');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(replica.leading, false);
    assert.deepEqual(await issues('op-closing'), [], 'a closed replica reports nothing');
    const lease = kube.get('coordination.k8s.io/v1', 'Lease', 'kite', config.leaseName) as any;
    assert.ok(!lease?.spec?.holderIdentity, `the Lease is free: ${JSON.stringify(lease?.spec)}`);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
