/**
 * The clean-run rule as the bridge operator drives it: a completed MintMaker run's
 * success or failure carries the run's start (`runStartedAt`) and labels, and the server
 * resolves the pipeline's MintMaker issues that were not reported since that start. Also
 * the operator's links to the server's log endpoint, absolute under `publicUrl`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { repoBranchHash } from '../../src/logs/run-links.js';
import { resolveOperatorConfig } from '../../src/operator/operator-config.js';
import { startOperator, type RunningOperator } from '../../src/operator/operator.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };
const OPERATOR_USER = 'system:serviceaccount:kite:kite-operator';
const PUBLIC_URL = 'https://console.example.com/api/k8s/plugins/kite';
const reader = { authorization: 'Bearer token-reader' };
const reporter = { authorization: 'Bearer token-operator' };
let kube: KubeApiDouble;
let server: TestServer;
let operator: RunningOperator;

before(async () => {
  kube = await startKubeApiDouble();
  kube.users.set('token-operator', { username: OPERATOR_USER, groups: [] });
  kube.users.set('token-reader', { username: 'reader', groups: [] });
  kube.grants.push(
    { user: OPERATOR_USER, verb: 'create', ...RBAC },
    { user: 'reader', verb: 'get', ...RBAC },
  );
  const tokenFile = join(await mkdtemp(join(tmpdir(), 'kite-clean-run-')), 'token');
  await writeFile(tokenFile, 'token-operator\n');
  server = await startTestServer({
    env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig },
  });
  const config = await resolveOperatorConfig(
    {
      apiUrl: server.url,
      tokenFile,
      kubeconfig: kube.kubeconfig,
      host: '127.0.0.1',
      port: '0',
      leaderElect: false,
      leaseNamespace: 'kite',
      publicUrl: PUBLIC_URL,
    },
    { KITE_BACKOFF_BASE: '20ms', KITE_BACKOFF_MAX: '200ms' },
    () => Promise.resolve(undefined),
  );
  operator = await startOperator(
    { ...config, controllers: { mintmaker: { archiveLogs: false } } },
    { log: pino({ level: 'silent' }) },
  );
});

after(async () => {
  await operator?.close();
  await server?.stop();
  await kube?.close();
});

/** A completed MintMaker run of `acme/<component>@main` for `namespace`. */
function completedRun(o: {
  name: string;
  namespace: string;
  component: string;
  startTime: string;
  succeeded: boolean;
}) {
  const now = new Date().toISOString();
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: {
      name: o.name,
      namespace: 'mintmaker',
      uid: randomUUID(),
      labels: {
        'mintmaker.appstudio.redhat.com/namespace': o.namespace,
        'mintmaker.appstudio.redhat.com/component': o.component,
        'mintmaker.appstudio.redhat.com/git-host': 'github.com',
        'mintmaker.appstudio.redhat.com/repository': `acme_${o.component}`,
        'mintmaker.appstudio.redhat.com/branch': 'main',
        'mintmaker.appstudio.redhat.com/repo-branch-hash': repoBranchHash(
          `github.com/acme/${o.component}@main`,
        ),
      },
    },
    status: {
      startTime: o.startTime,
      completionTime: now,
      conditions: [
        {
          type: 'Succeeded',
          status: o.succeeded ? 'True' : 'False',
          reason: o.succeeded ? 'Succeeded' : 'Failed',
          message: o.succeeded ? 'done' : 'Tasks Completed: 1 (Failed: 1)',
          lastTransitionTime: now,
        },
      ],
    },
  };
}

const report = (namespace: string, component: string, type: string) =>
  client(server.url).post(
    '/api/v1/webhooks/mintmaker-custom',
    { pipelineId: `github.com/acme/${component}@main`, namespace, type, logs: [`a ${type}`] },
    reporter,
  );

async function issues(namespace: string): Promise<Record<string, any>> {
  const answer = await client(server.url).get(
    `/api/v1/issues?namespace=${namespace}&limit=100`,
    reader,
  );
  assert.equal(answer.status, 200);
  return Object.fromEntries(answer.body.data.map((i: any) => [i.scope.resourceType, i]));
}

/** How many run-success calls the server has answered. */
async function runSuccesses(): Promise<number> {
  const metrics = await client(server.url).get('/metrics');
  const line = /^kite_webhook_requests_total\{[^}]*webhook="run-success"[^}]*\} (\d+)/m.exec(
    String(metrics.body),
  );
  return Number(line?.[1] ?? 0);
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the operator's MintMaker runs", () => {
  it('a completed run resolves the categories it did not report and keeps those it did', async () => {
    const before = new Date(Date.now() - 60_000).toISOString();
    const error = await report('op-team', 'web', 'error');
    assert.equal(error.status, 201);
    // The run that reported the error completes: the error was reported during it.
    kube.apply(
      completedRun({
        name: 'renovate-web-1',
        namespace: 'op-team',
        component: 'web',
        startTime: before,
        succeeded: true,
      }),
    );
    await eventually(
      async () => ((await runSuccesses()) >= 1 ? true : undefined),
      'the operator to report the run',
    );
    assert.equal((await issues('op-team'))['mintmaker-error'].state, 'ACTIVE');

    // A later run starts after that report and fails without reporting the error.
    const start = new Date().toISOString();
    kube.apply(
      completedRun({
        name: 'renovate-web-2',
        namespace: 'op-team',
        component: 'web',
        startTime: start,
        succeeded: false,
      }),
    );
    const resolved = await eventually(async () => {
      const found = await issues('op-team');
      return found['mintmaker-error']?.state === 'RESOLVED' ? found : undefined;
    }, 'the error issue to be resolved');
    const run = kube.get('tekton.dev/v1', 'PipelineRun', 'mintmaker', 'renovate-web-2');
    const events = await client(server.url).get(
      `/api/v1/issues/${resolved['mintmaker-error'].id}/events`,
      reader,
    );
    assert.deepEqual(
      [events.body.data[0].kind, events.body.data[0].runId, events.body.data[0].summary],
      [
        'resolved',
        run?.metadata.uid,
        `resolved: not reported by MintMaker run ${run?.metadata.uid} (started ${start}), which completed`,
      ],
    );
    // The failed run's own issue links to the server's log endpoint, absolute.
    assert.deepEqual(
      resolved.component.links.map((l: any) => [l.title, l.url]),
      [['Run logs', `${PUBLIC_URL}/api/v1/mintmaker/runs/renovate-web-2/logs`]],
    );
  });
});
