/**
 * The operator's MintMaker issues end to end (issue 23, findings 1 and 5): the real
 * informers watch MintMaker-shaped PipelineRuns in the Kubernetes API double, the real
 * server stores the reports. One issue per component and repository branch; titles as
 * on the git host; the application label kept; and the Renovate log analyzer's
 * `mintmaker-*` issues for the same repository branch related to the operator's issue.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { resolveOperatorConfig } from '../../src/operator/operator-config.js';
import { startOperator, type RunningOperator } from '../../src/operator/operator.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import {
  mintmakerPipelineRun,
  mintmakerTaskRun,
  repoBranchHashOf,
} from '../support/mintmaker-runs.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };
const OPERATOR_USER = 'system:serviceaccount:kite:kite-operator';
const reader = { authorization: 'Bearer token-reader' };
const reporter = { authorization: 'Bearer token-operator' };
let kube: KubeApiDouble;
let server: TestServer;
let operator: RunningOperator;

const pipelineRun = (branch: string, completedAt: number, succeeded: boolean) =>
  mintmakerPipelineRun({
    componentNamespace: 'team-a',
    component: 'my-repo',
    application: 'my-app',
    repository: 'konflux-ci/my_repo',
    repositoryLabel: 'konflux-ci_my_repo',
    branch,
    branchLabel: branch.replaceAll('/', '_'),
    completedAt,
    succeeded,
  });
/** A completed run: its TaskRun first, as Tekton completes them. */
function run(branch: string, completedAt: number, succeeded: boolean) {
  const object = pipelineRun(branch, completedAt, succeeded);
  kube.apply(mintmakerTaskRun(object, succeeded));
  return object;
}
/** The ids of the issues related to `issue`, in either direction. */
const relatedIds = (issue: any): string[] =>
  [...issue.relatedTo, ...issue.relatedFrom]
    .flatMap((r: any) => [r.sourceId, r.targetId])
    .filter((id: string) => id !== issue.id)
    .sort();
const scopeOf = (branch: string) =>
  `my-repo@${repoBranchHashOf('github.com', 'konflux-ci/my_repo', branch)}`;

async function issues() {
  const answer = await client(server.url).get('/api/v1/issues?namespace=team-a&limit=100', reader);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.data as any[];
}

async function issueWhen(scope: string, ready: (issue: any) => boolean = () => true) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await issues()).find((i) => i.scope.resourceName === scope);
    if (found && ready(found)) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the issue of ${scope}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(async () => {
  kube = await startKubeApiDouble();
  kube.users.set('token-operator', { username: OPERATOR_USER, groups: ['system:serviceaccounts'] });
  kube.users.set('token-reader', { username: 'reader', groups: [] });
  kube.grants.push(
    { user: OPERATOR_USER, verb: 'create', ...RBAC },
    { user: 'reader', verb: 'get', ...RBAC },
  );
  server = await startTestServer({
    env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig },
  });
  const tokenFile = join(await mkdtemp(join(tmpdir(), 'kite-mm-operator-')), 'token');
  await writeFile(tokenFile, 'token-operator\n');
  const config = await resolveOperatorConfig(
    {
      apiUrl: server.url,
      tokenFile,
      kubeconfig: kube.kubeconfig,
      host: '127.0.0.1',
      port: '0',
      leaderElect: false,
    },
    { KITE_BACKOFF_BASE: '20ms', KITE_BACKOFF_MAX: '200ms' },
    () => Promise.resolve(undefined),
  );
  operator = await startOperator(
    {
      ...config,
      controllers: {
        pipelineruns: { enabled: false },
        releases: { enabled: false },
        mintmaker: { archiveLogs: false },
      },
    },
    { log: pino({ level: process.env.KITE_TEST_LOG ?? 'silent' }) },
  );
  await operator.synced;
});

after(async () => {
  await operator?.close();
  await server?.stop();
  await kube?.close();
});

describe("the operator's MintMaker issues", () => {
  it("a success on release/2.0 does not resolve the failure on main; main's own success does", async () => {
    kube.apply(run('main', 1, false));
    const main = await issueWhen(scopeOf('main'));
    assert.equal(
      main.title,
      'Dependency update (MintMaker) failed for component my-repo (konflux-ci/my_repo@main)',
    );
    assert.equal(main.labels['mintmaker.appstudio.redhat.com/application'], 'my-app');
    assert.equal(main.labels['appstudio.openshift.io/application'], 'my-app');

    // release/2.0 fails, then succeeds: once its own issue is resolved, the success has
    // been delivered, and main's issue must still be active.
    kube.apply(run('release/2.0', 2, false));
    const release = await issueWhen(scopeOf('release/2.0'));
    assert.equal(
      release.title,
      'Dependency update (MintMaker) failed for component my-repo (konflux-ci/my_repo@release/2.0)',
    );
    kube.apply(run('release/2.0', 3, true));
    await issueWhen(scopeOf('release/2.0'), (i) => i.state === 'RESOLVED');
    assert.equal((await issueWhen(scopeOf('main'))).state, 'ACTIVE');

    kube.apply(run('main', 4, true));
    await issueWhen(scopeOf('main'), (i) => i.state === 'RESOLVED');
  });

  it("the log analyzer's issue for the same repository branch is related to the operator's issue, whichever comes first", async () => {
    const analyzer = (pipelineId: string, type: string) =>
      client(server.url).post(
        '/api/v1/webhooks/mintmaker-custom?namespace=team-a',
        { pipelineId, namespace: 'team-a', type, logs: ['Repository has unknown error'] },
        reporter,
      );
    // The analyzer reports during the run (it is a step of it), before the run completes.
    const error = await analyzer('github.com/konflux-ci/my_repo@release/3.0', 'error');
    assert.equal(error.status, 201, JSON.stringify(error.body));
    const other = await analyzer('github.com/konflux-ci/my_repo@main', 'error');
    assert.equal(other.status, 201);
    kube.apply(run('release/3.0', 5, false));
    const issue = await issueWhen(scopeOf('release/3.0'), (i) => relatedIds(i).length > 0);
    assert.deepEqual(
      relatedIds(issue),
      [error.body.issue.id],
      'related to the issue of its own branch only',
    );
    // A later analyzer report of the same branch (another category) is related too.
    const warning = await analyzer('github.com/konflux-ci/my_repo@release/3.0', 'warning');
    assert.equal(warning.status, 201);
    assert.deepEqual(relatedIds(warning.body.issue), [issue.id]);
    const reread = await client(server.url).get(`/api/v1/issues/${issue.id}`, reader);
    assert.deepEqual(relatedIds(reread.body), [error.body.issue.id, warning.body.issue.id].sort());
  });
});
