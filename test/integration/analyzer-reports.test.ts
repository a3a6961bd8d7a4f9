/**
 * MintMaker's Renovate log analyzer in production, end to end: `--auth-mode kubernetes`
 * with the Kubernetes API double, the analyzer's exact requests (renovate-log-analyzer's
 * kite client: no Authorization header, `Content-Type: application/json` on every call,
 * `?namespace=` on every webhook; health, then one `mintmaker-custom` per non-empty
 * category, then `pipeline-success` or, on a FATAL line, `pipeline-failure` with the
 * PipelineRun's name as `runId`), sent from a chosen loopback address that stands for
 * the step's pod IP. Also the clean-run rule through the API (`runStartedAt`) and as the
 * operator sends it (`run-success` with the run's start and labels).
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { repoBranchHash } from '../../src/logs/run-links.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import {
  client,
  createTestDatabase,
  startTestServer,
  type Answer,
  type TestServer,
} from '../support/test-server.js';

const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };
const PUBLIC_URL = 'https://console.example.com/api/k8s/plugins/kite';
const PIPELINE = 'github.com/acme/frontend@main';
const POD_IP = '127.0.0.2';
const OTHER_IP = '127.0.0.3';

let kube: KubeApiDouble;
let server: TestServer;

/** A request as the analyzer's Go client makes it, from `address`. */
function analyzer(address: string, extraHeaders: Record<string, string> = {}) {
  const send = (method: string, path: string, body?: unknown) =>
    new Promise<Answer<any>>((resolve, reject) => {
      const url = new URL(path, server.url);
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method,
          localAddress: address,
          headers: { 'content-type': 'application/json', ...extraHeaders },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: response.statusCode ?? 0,
              body: response.headers['content-type']?.includes('json') ? JSON.parse(text) : text,
              headers: new Headers(response.headers as Record<string, string>),
            });
          });
        },
      );
      request.on('error', reject);
      request.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const webhook = (name: string, namespace: string, body: Record<string, unknown>) =>
    send('POST', `/api/v1/webhooks/${name}?namespace=${namespace}`, { ...body, namespace });
  return {
    webhook,
    health: () => send('GET', '/api/v1/health'),
    custom: (namespace: string, type: string, logs: string[], pipelineId = PIPELINE) =>
      webhook('mintmaker-custom', namespace, { pipelineId, type, logs }),
    success: (namespace: string, pipelineName = PIPELINE) =>
      webhook('pipeline-success', namespace, { pipelineName }),
    failure: (namespace: string, runId: string, failureReason: string) =>
      webhook('pipeline-failure', namespace, { pipelineName: PIPELINE, failureReason, runId }),
  };
}

const viewer = { authorization: 'Bearer token-viewer' };
const reporter = { authorization: 'Bearer token-reporter' };
const api = () => client(server.url);

/** The analyzer's issues of PIPELINE in team-a, by scope type. */
async function issuesOf(namespace = 'team-a'): Promise<Record<string, any>> {
  const list = await api().get(`/api/v1/issues?namespace=${namespace}&limit=100`, viewer);
  assert.equal(list.status, 200);
  return Object.fromEntries(list.body.data.map((issue: any) => [issue.scope.resourceType, issue]));
}

const timeline = async (id: string) =>
  (await api().get(`/api/v1/issues/${id}/events`, viewer)).body.data.map((e: any) => [
    e.kind,
    e.runId,
    e.summary,
  ]);

/** Starts a MintMaker run of PIPELINE for team-a whose step pod has `ip`; returns its start. */
function startRun(name: string, ip: string, namespace = 'team-a'): string {
  const startTime = new Date().toISOString();
  kube.apply({
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: {
      name,
      namespace: 'mintmaker',
      labels: {
        'mintmaker.appstudio.redhat.com/namespace': namespace,
        'mintmaker.appstudio.redhat.com/component': 'frontend',
        'mintmaker.appstudio.redhat.com/git-host': 'github.com',
        'mintmaker.appstudio.redhat.com/repository': 'acme_frontend',
        'mintmaker.appstudio.redhat.com/branch': 'main',
        'mintmaker.appstudio.redhat.com/repo-branch-hash': repoBranchHash(PIPELINE),
      },
    },
    status: {
      startTime,
      conditions: [{ type: 'Succeeded', status: 'Unknown', reason: 'Running' }],
    },
  });
  kube.apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-renovate-pod`,
      namespace: 'mintmaker',
      labels: { 'tekton.dev/pipelineRun': name, 'tekton.dev/pipelineTask': 'renovate' },
    },
    spec: { containers: [{ name: 'step-renovate' }, { name: 'step-log-analyzer' }] },
    status: { phase: 'Running', podIP: ip },
  });
  return startTime;
}

/** The run completes: its pod ends (Succeeded) and the PipelineRun has a completion time. */
function finishRun(name: string, succeeded: boolean): void {
  const pod = kube.get('v1', 'Pod', 'mintmaker', `${name}-renovate-pod`);
  const run = kube.get('tekton.dev/v1', 'PipelineRun', 'mintmaker', name);
  assert.ok(pod && run);
  kube.apply({ ...pod, status: { ...(pod.status as object), phase: 'Succeeded' } });
  kube.apply({
    ...run,
    status: {
      ...(run.status as object),
      completionTime: new Date().toISOString(),
      conditions: [{ type: 'Succeeded', status: succeeded ? 'True' : 'False' }],
    },
  });
}

const REFUSED = {
  error:
    'Authentication required: send Authorization: Bearer <token> (a report without a token is accepted only from the pod of a running MintMaker run for that namespace)',
};

before(async () => {
  kube = await startKubeApiDouble();
  kube.namespaces.push('team-a', 'team-b', 'mintmaker');
  kube.users.set('token-viewer', { username: 'viewer', groups: [] });
  kube.users.set('token-reporter', { username: 'reporter', groups: [] });
  kube.grants.push(
    { user: 'viewer', verb: 'get', ...RBAC },
    { user: 'reporter', verb: 'create', ...RBAC },
  );
  server = await startTestServer({
    env: {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
      KITE_POD_REPORTERS: 'true',
      // Every request asks the cluster again, so a finished run is refused at once.
      KITE_POD_REPORTER_CACHE_TTL: '1ms',
      KITE_PUBLIC_URL: `${PUBLIC_URL}/`,
      KITE_TRUSTED_PROXIES: '127.0.0.7',
      KITE_KUBE_API_TIMEOUT: '1s',
    },
  });
});

after(async () => {
  await server?.stop();
  await kube?.close();
});

describe("the analyzer's requests without a token (KITE_POD_REPORTERS=true)", () => {
  it('are accepted from a running MintMaker run pod for its namespace; issues open, dedupe and clear on a clean run', async () => {
    const pod = analyzer(POD_IP);

    // Run 1: errors and warnings, but no FATAL line.
    const run1Start = startRun('renovate-frontend-1', POD_IP);
    const health = await pod.health();
    assert.equal(health.status, 200);
    const error = await pod.custom('team-a', 'error', ['Repository has changed during renovation']);
    assert.equal(error.status, 201, JSON.stringify(error.body));
    assert.equal(error.body.status, 'success');
    const warning = await pod.custom('team-a', 'warning', ['Config migration necessary']);
    assert.equal(warning.status, 201);
    const success = await pod.success('team-a');
    assert.deepEqual(success, {
      status: 200,
      body: { status: 'success', message: `Resolved 0 issue(s) for pipeline ${PIPELINE}` },
      headers: success.headers,
    });
    let issues = await issuesOf();
    assert.deepEqual(
      [issues['mintmaker-error']?.state, issues['mintmaker-warning']?.state],
      ['ACTIVE', 'ACTIVE'],
      'reports of the run that succeeded stay open (errors but no FATAL)',
    );
    assert.deepEqual(issues['mintmaker-error'].links, [
      {
        id: issues['mintmaker-error'].links[0].id,
        issueId: issues['mintmaker-error'].id,
        title: 'MintMaker run logs',
        url: `${PUBLIC_URL}/api/v1/mintmaker/runs/renovate-frontend-1/logs`,
      },
    ]);
    assert.ok(Date.parse(run1Start) <= Date.parse(issues['mintmaker-error'].lastSeenAt));

    // The same run's pod, but for another tenant or another pipeline; other addresses.
    assert.deepEqual(await bodyOf(pod.custom('team-b', 'error', ['x'])), [401, REFUSED]);
    assert.deepEqual(
      await bodyOf(pod.custom('team-a', 'error', ['x'], 'github.com/acme/other@main')),
      [401, REFUSED],
    );
    const stranger = analyzer(OTHER_IP);
    assert.deepEqual(await bodyOf(stranger.custom('team-a', 'error', ['x'])), [401, REFUSED]);
    assert.deepEqual(await bodyOf(stranger.success('team-a')), [401, REFUSED]);
    // Only the configured webhooks: the running pod may not call another one.
    const other = await pod.webhook('build-failure', 'team-a', {
      componentName: 'frontend',
      errorMessage: 'x',
    });
    assert.equal(other.status, 401);
    assert.match(other.body.error, /^Authentication required: send Authorization: Bearer <token>$/);
    // A tokenless caller may report, nothing else.
    assert.equal((await pod.health()).status, 200);
    assert.equal(
      (await client(server.url).get('/api/v1/issues?namespace=team-a')).status,
      401,
      'reading still needs a token',
    );

    // The run finished: its pod's address is refused from now on.
    finishRun('renovate-frontend-1', true);
    assert.deepEqual(await bodyOf(pod.custom('team-a', 'error', ['late'])), [401, REFUSED]);

    // Run 2 (same pod IP, recycled): clean. Health, no categories, pipeline-success.
    startRun('renovate-frontend-2', POD_IP);
    assert.equal((await pod.health()).status, 200);
    const clean = await pod.success('team-a');
    assert.equal(clean.status, 200);
    issues = await issuesOf();
    assert.deepEqual(
      [issues['mintmaker-error'].state, issues['mintmaker-warning'].state],
      ['RESOLVED', 'RESOLVED'],
    );
    const cleared = (await timeline(issues['mintmaker-warning'].id))[0];
    assert.equal(cleared[0], 'resolved');
    assert.equal(cleared[1], 'renovate-frontend-2');
    assert.match(cleared[2], /not reported by MintMaker run renovate-frontend-2 \(started /);
    finishRun('renovate-frontend-2', true);

    // Run 3: FATAL. The error comes back (same issue, reopened), the run fails.
    startRun('renovate-frontend-3', POD_IP);
    const again = await pod.custom('team-a', 'error', ['Repository has changed during renovation']);
    assert.equal(again.status, 201);
    assert.equal(again.body.issue.id, issues['mintmaker-error'].id, 'deduplicated');
    assert.equal(again.body.issue.state, 'ACTIVE');
    assert.equal(again.body.issue.occurrences, 2);
    const fatal = await pod.failure(
      'team-a',
      'renovate-frontend-3',
      'FATAL: Authentication failure',
    );
    assert.equal(fatal.status, 201);
    assert.equal(fatal.body.issue.scope.resourceType, 'pipelinerun');
    assert.equal(fatal.body.issue.scope.resourceName, PIPELINE);
    assert.equal(fatal.body.issue.description.includes('FATAL: Authentication failure'), true);
    issues = await issuesOf();
    assert.deepEqual(
      [
        issues['mintmaker-error'].state,
        issues['mintmaker-warning'].state,
        issues.pipelinerun.state,
      ],
      ['ACTIVE', 'RESOLVED', 'ACTIVE'],
    );
    finishRun('renovate-frontend-3', false);
    assert.deepEqual(await bodyOf(pod.failure('team-a', 'renovate-frontend-3', 'again')), [
      401,
      REFUSED,
    ]);
  });

  it('a run in another namespace than the reporters namespace does not count', async () => {
    kube.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'look-alike',
        namespace: 'team-b',
        labels: { 'tekton.dev/pipelineRun': 'renovate-frontend-9' },
      },
      status: { phase: 'Running', podIP: '127.0.0.4' },
    });
    kube.apply({
      apiVersion: 'tekton.dev/v1',
      kind: 'PipelineRun',
      metadata: {
        name: 'renovate-frontend-9',
        namespace: 'team-b',
        labels: { 'mintmaker.appstudio.redhat.com/namespace': 'team-a' },
      },
      status: { startTime: new Date().toISOString() },
    });
    assert.deepEqual(await bodyOf(analyzer('127.0.0.4').custom('team-a', 'error', ['x'])), [
      401,
      REFUSED,
    ]);
  });

  it('a pod still running after its PipelineRun is done does not count', async () => {
    startRun('renovate-frontend-10', '127.0.0.10');
    const pod = analyzer('127.0.0.10');
    assert.equal((await pod.custom('team-a', 'info', ['x'])).status, 201);
    const run = kube.get('tekton.dev/v1', 'PipelineRun', 'mintmaker', 'renovate-frontend-10');
    assert.ok(run);
    // Cancelled: the condition is final before Tekton sets a completion time.
    kube.apply({
      ...run,
      status: {
        ...(run.status as object),
        conditions: [{ type: 'Succeeded', status: 'False', reason: 'Cancelled' }],
      },
    });
    assert.deepEqual(await bodyOf(pod.custom('team-a', 'info', ['x'])), [401, REFUSED]);
    finishRun('renovate-frontend-10', false);
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    startRun('renovate-frontend-6', '127.0.0.6');
    const via = (peer: string) =>
      analyzer(peer, { 'x-forwarded-for': '127.0.0.6' }).custom('team-a', 'info', ['x']);
    assert.equal((await via('127.0.0.7')).status, 201, 'through the trusted proxy');
    assert.deepEqual(await bodyOf(via(OTHER_IP)), [401, REFUSED]);
    finishRun('renovate-frontend-6', true);
  });

  it('fails closed with 503 when the cluster cannot be asked', async () => {
    startRun('renovate-frontend-5', '127.0.0.5');
    kube.down = true;
    try {
      const answer = await analyzer('127.0.0.5').custom('team-a', 'warning', ['x']);
      assert.deepEqual(
        [answer.status, answer.body],
        [
          503,
          {
            error:
              'Cannot check the reporting pod: the Kubernetes API did not answer. Try again later.',
          },
        ],
      );
    } finally {
      kube.down = false;
    }
    finishRun('renovate-frontend-5', true);
  });

  it('answers 503 within the Kubernetes API timeout when the pod lookup hangs', async () => {
    startRun('renovate-frontend-4', '127.0.0.4');
    const held = kube.hold('pods');
    try {
      const started = Date.now();
      const answer = await analyzer('127.0.0.4').custom('team-a', 'warning', ['x']);
      assert.equal(answer.status, 503);
      assert.equal(held.waiting(), 1, 'the lookup was still held by the API server');
      assert.ok(Date.now() - started < 5000, `answered after ${Date.now() - started} ms`);
    } finally {
      held.release();
    }
    finishRun('renovate-frontend-4', true);
  });
});

describe('start-up', () => {
  it('refuses KITE_POD_REPORTER_WEBHOOKS naming a webhook that does not exist', async () => {
    const database = await createTestDatabase();
    try {
      await assert.rejects(
        startTestServer({
          database,
          env: {
            KITE_AUTH_MODE: 'kubernetes',
            KUBECONFIG: kube.kubeconfig,
            KITE_POD_REPORTERS: 'true',
            KITE_POD_REPORTER_WEBHOOKS: 'mintmaker-custom,mintmaker-customs',
          },
        }),
        /KITE_POD_REPORTER_WEBHOOKS names unknown webhooks: mintmaker-customs/,
      );
    } finally {
      await database.drop();
    }
  });
});

describe('pod lookups', () => {
  it('are reused for KITE_POD_REPORTER_CACHE_TTL: one pod list and one run read for a run of reports', async () => {
    const cached = await startTestServer({
      env: {
        KITE_AUTH_MODE: 'kubernetes',
        KUBECONFIG: kube.kubeconfig,
        KITE_POD_REPORTERS: 'true',
        KITE_POD_REPORTER_CACHE_TTL: '10m',
      },
    });
    const main = server;
    try {
      server = cached;
      startRun('renovate-frontend-8', '127.0.0.8');
      const lists = kube.calls.lists.pods ?? 0;
      const pod = analyzer('127.0.0.8');
      const answers = await Promise.all([
        pod.custom('team-a', 'error', ['e']),
        pod.custom('team-a', 'warning', ['w']),
      ]);
      assert.deepEqual(
        answers.map((a) => a.status),
        [201, 201],
      );
      assert.equal((await pod.success('team-a')).status, 200);
      assert.equal((kube.calls.lists.pods ?? 0) - lists, 1);
      finishRun('renovate-frontend-8', true);
    } finally {
      server = main;
      await cached.stop();
    }
  });
});

describe('MintMaker issues clear when a later run is clean (with a token)', () => {
  const pipeline = 'gitlab.com/acme/api@release-1';
  const report = (type: string) =>
    api().post(
      '/api/v1/webhooks/mintmaker-custom',
      { pipelineId: pipeline, namespace: 'team-b', type, logs: [`a ${type}`] },
      reporter,
    );
  const success = (body: Record<string, unknown>) =>
    api().post(
      '/api/v1/webhooks/pipeline-success',
      { pipelineName: pipeline, namespace: 'team-b', ...body },
      reporter,
    );

  it('pipeline-success with runStartedAt resolves what was not reported since; the same run keeps its reports', async () => {
    const before = new Date(Date.now() - 60_000).toISOString();
    const error = await report('error');
    const warning = await report('warning');
    // The run that reported both ends with success: nothing of its own is cleared.
    assert.equal((await success({ runStartedAt: before })).status, 200);
    let issues = await issuesOf('team-b');
    assert.deepEqual(
      [issues['mintmaker-error'].state, issues['mintmaker-warning'].state],
      ['ACTIVE', 'ACTIVE'],
    );
    // A later run reports only the warning and succeeds: the error is cleared.
    const start = new Date().toISOString();
    assert.equal((await report('warning')).status, 201);
    const answer = await success({ runStartedAt: start, runId: 'mintmaker-run-7' });
    assert.deepEqual(answer.body, {
      status: 'success',
      message: `Resolved 0 issue(s) for pipeline ${pipeline}`,
    });
    issues = await issuesOf('team-b');
    assert.equal(issues['mintmaker-error'].id, error.body.issue.id);
    assert.equal(issues['mintmaker-error'].state, 'RESOLVED');
    assert.equal(issues['mintmaker-warning'].id, warning.body.issue.id);
    assert.equal(issues['mintmaker-warning'].state, 'ACTIVE');
    assert.deepEqual((await timeline(error.body.issue.id))[0], [
      'resolved',
      'mintmaker-run-7',
      `resolved: not reported by MintMaker run mintmaker-run-7 (started ${start}), which completed`,
    ]);
  });

  it('a runStartedAt that is not an RFC 3339 time is a 400 naming the field and changes nothing', async () => {
    const open = await report('info');
    const answer = await success({ runStartedAt: 'yesterday' });
    assert.deepEqual(
      [answer.status, answer.body],
      [
        400,
        {
          error: 'runStartedAt must be an RFC 3339 time, e.g. 2026-12-03T07:00:00Z',
          details: [{ field: 'runStartedAt', message: 'runStartedAt must be an RFC 3339 time' }],
        },
      ],
    );
    assert.equal((await issuesOf('team-b'))['mintmaker-info'].id, open.body.issue.id);
    assert.equal((await issuesOf('team-b'))['mintmaker-info'].state, 'ACTIVE');
  });

  it("the operator's run-success of a MintMaker run (its start and repo-branch hash) clears the pipeline's issues", async () => {
    const start = new Date().toISOString();
    const answer = await api().post(
      '/api/v1/webhooks/run-success',
      {
        namespace: 'team-b',
        issueType: 'dependency',
        scopeType: 'component',
        scopeName: 'api',
        runId: 'uid-of-run-8',
        runStartedAt: start,
        labels: { 'mintmaker.appstudio.redhat.com/repo-branch-hash': repoBranchHash(pipeline) },
      },
      reporter,
    );
    assert.equal(answer.status, 200);
    const issues = await issuesOf('team-b');
    assert.deepEqual(
      [
        issues['mintmaker-error'].state,
        issues['mintmaker-warning'].state,
        issues['mintmaker-info'].state,
      ],
      ['RESOLVED', 'RESOLVED', 'RESOLVED'],
    );
    assert.equal((await timeline(issues['mintmaker-info'].id))[0][1], 'uid-of-run-8');
  });
});

async function bodyOf(answer: Promise<Answer<any>>): Promise<[number, unknown]> {
  const { status, body } = await answer;
  return [status, body];
}

describe('timelines', () => {
  it('list events newest first, also past an event id with more digits', async () => {
    const ids = new Set<string>();
    // Event ids are one sequence for the whole database: 100 events cross a power of ten.
    for (let i = 0; i < 100; i++) {
      const answer = await api().post(
        '/api/v1/webhooks/pipeline-failure',
        { pipelineName: 'busy', namespace: 'team-b', failureReason: `run ${i}`, runId: `r${i}` },
        reporter,
      );
      assert.equal(answer.status, 201);
      ids.add(answer.body.issue.id);
    }
    const [id] = [...ids];
    assert.equal(ids.size, 1);
    const events = await api().get(`/api/v1/issues/${id}/events?limit=100`, viewer);
    assert.deepEqual(
      events.body.data.map((e: any) => e.runId),
      Array.from({ length: 100 }, (_, i) => `r${99 - i}`),
    );
  });
});
