/**
 * MintMaker run ownership from the cluster, end to end (issue 13, finding 1): the real
 * server and the real bridge operator against the Kubernetes API double. The attack: a
 * principal allowed to report in team-b registers team-a's live run as its own and
 * uploads steps, hoping that team-a reads the planted text once the pod is pruned, that
 * the operator's real upload is refused, and that the run is team-b's once the
 * PipelineRun is gone. None of that may happen.
 *
 * People: `token-alice` reads team-a; `token-mallory` may report and read in team-b and
 * is (wrongly) listed as an uploader, so that the cluster check itself is exercised;
 * `token-eve` may report and read in team-b and is not an uploader; `token-operator` is
 * the bridge operator.
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
import { liveMintmakerRun } from '../support/mintmaker-live-run.js';
import { addMintmakerPeople, OPERATOR_USER } from '../support/mintmaker-people.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };
const RUN = 'renovate-owned-1';
const POD = `${RUN}-pod`;
const REAL_LOG = '{"level":50,"msg":"Repository has unknown error"}\n';
const PLANTED = 'PLANTED: everything is fine, nothing to update\n';
let kube: KubeApiDouble;
let server: TestServer;
let operator: RunningOperator;

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const api = () => client(server.url);
const logsOf = (name: string, token: string) =>
  fetch(`${server.url}/api/v1/mintmaker/runs/${name}/logs`, { headers: as(token) });
const register = (token: string, run: Record<string, unknown>) =>
  api().post('/api/v1/mintmaker/runs', run, as(token));
const uploadStep = (token: string, name: string, text: string) =>
  fetch(`${server.url}/api/v1/mintmaker/runs/${name}/steps/renovate/renovate?position=0`, {
    method: 'PUT',
    headers: { ...as(token), 'content-type': 'text/plain' },
    body: text,
  });
const storedRuns = async () =>
  (
    await server.db.query<{ run_name: string; namespace: string; log_bytes: string | number }>(
      'SELECT run_name, namespace, log_bytes FROM mintmaker_runs ORDER BY run_name',
    )
  ).rows.map((row) => [row.run_name, row.namespace, Number(row.log_bytes)]);
const mismatches = async (seenOn: string) => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`kite_mintmaker_run_owner_mismatches_total{seen_on="${seenOn}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
};

/** A run of team-a's `frontend` as MintMaker labels it, in the `mintmaker` namespace. */
const liveRun = (name: string, uid: string) =>
  liveMintmakerRun({
    name,
    uid,
    owner: 'team-a',
    repositoryLabels: true,
    task: 'renovate',
    podName: POD,
    steps: ['renovate'],
    startTime: '2026-12-03T04:00:00Z',
    outcome: 'Failed',
  });
const run = liveRun(RUN, 'uid-owned-1');

/** What the intruder would send: team-a's run, claimed for team-b. */
const claim = (name: string, uid: string) => ({
  name,
  uid,
  namespace: 'team-b',
  component: 'frontend',
  status: 'Failed',
});

before(async () => {
  kube = await startKubeApiDouble();
  addMintmakerPeople(kube);
  kube.users.set('token-mallory', { username: 'mallory', groups: ['team-b-reporters'] });
  kube.users.set('token-eve', { username: 'eve', groups: ['team-b-reporters'] });
  kube.grants.push(
    { group: 'team-b-reporters', verb: 'create', ...RBAC, namespace: 'team-b' },
    { group: 'team-b-reporters', verb: 'get', ...RBAC, namespace: 'team-b' },
  );
  server = await startTestServer({
    env: {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
      KITE_LOG_UPLOADERS: `${OPERATOR_USER},mallory`,
    },
  });
  const tokenFile = join(await mkdtemp(join(tmpdir(), 'kite-owner-')), 'token');
  await writeFile(tokenFile, 'token-operator');
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
    { ...config, controllers: { pipelineruns: { enabled: false }, releases: { enabled: false } } },
    { log: pino({ level: process.env.KITE_TEST_LOG ?? 'silent' }) },
  );
  await operator.synced;
  kube.apply(run.pod);
  kube.setPodLog('mintmaker', POD, 'step-renovate', REAL_LOG);
  kube.apply(run.taskRun(false));
  kube.apply(run.pipelineRun(false));
});

after(async () => {
  await operator?.close();
  await server?.stop();
  await kube?.close();
});

describe('MintMaker run ownership comes from the cluster', () => {
  it("a reporter of team-b who is not an uploader cannot register or upload for team-a's live run", async () => {
    const registered = await register('token-eve', claim(RUN, 'uid-owned-1'));
    assert.equal(registered.status, 403);
    assert.deepEqual(registered.body, {
      error:
        'Not allowed to archive MintMaker runs: only the bridge operator uploads run logs (KITE_LOG_UPLOADERS)',
    });
    const uploaded = await uploadStep('token-eve', RUN, PLANTED);
    assert.equal(uploaded.status, 403);
    assert.deepEqual(await storedRuns(), []);
  });

  it("an uploader cannot register team-a's live run for team-b: 409 and nothing stored", async () => {
    const registered = await register('token-mallory', claim(RUN, 'uid-owned-1'));
    assert.equal(registered.status, 409);
    assert.deepEqual(registered.body, {
      error: `Run ${RUN} in the cluster belongs to another namespace than team-b`,
    });
    // Nor under a made-up uid: the name is the live run's.
    const otherUid = await register('token-mallory', claim(RUN, 'uid-made-up'));
    assert.equal(otherUid.status, 409);
    assert.equal((await uploadStep('token-mallory', RUN, PLANTED)).status, 404);
    assert.deepEqual(await storedRuns(), []);
  });

  it('the operator archives the real log; team-a reads it after the pod and the PipelineRun are gone, team-b never', async () => {
    kube.endPodLog('mintmaker', POD, 'step-renovate');
    kube.apply(run.taskRun(true));
    kube.apply(run.pipelineRun(true));
    await within(async () => {
      const rows = await storedRuns();
      return rows.length === 1 && Number(rows[0]?.[2]) > 0;
    }, 'the operator to archive the run');
    assert.deepEqual(await storedRuns(), [[RUN, 'team-a', REAL_LOG.length]]);
    // Once archived for team-a, the intruder can neither re-register nor overwrite it.
    assert.equal((await register('token-mallory', claim(RUN, 'uid-owned-1'))).status, 409);
    const overwrite = await uploadStep('token-mallory', RUN, PLANTED);
    assert.equal(overwrite.status, 403);
    assert.deepEqual(await overwrite.json(), {
      error: 'Not allowed to report issues in namespace team-a',
    });

    kube.remove('v1', 'Pod', 'mintmaker', POD);
    const archived = await logsOf(RUN, 'token-alice');
    assert.equal(archived.status, 200);
    assert.equal(archived.headers.get('x-kite-log-source'), 'archive');
    assert.equal(await archived.text(), `==> task renovate, step renovate <==\n${REAL_LOG}`);

    kube.remove('tekton.dev/v1', 'PipelineRun', 'mintmaker', RUN);
    const afterwards = await logsOf(RUN, 'token-alice');
    assert.equal(afterwards.status, 200);
    assert.equal(await afterwards.text(), `==> task renovate, step renovate <==\n${REAL_LOG}`);
    const intruder = await logsOf(RUN, 'token-mallory');
    assert.equal(intruder.status, 404);
    assert.deepEqual(await intruder.json(), { error: 'MintMaker run not found' });
    const listed = await api().get('/api/v1/mintmaker/runs?namespace=team-b', as('token-mallory'));
    assert.deepEqual(listed.body, { data: [], total: 0, limit: 50, offset: 0 });
  });

  it('a run registered while the cluster has none is kept; when a live run of that name appears with another owner, the live owner wins', async () => {
    const name = 'renovate-later-1';
    const registered = await register('token-mallory', claim(name, 'uid-later-1'));
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    assert.equal((await uploadStep('token-mallory', name, PLANTED)).status, 200);
    assert.equal((await logsOf(name, 'token-mallory')).status, 200, 'kept while nothing is live');
    const before = await mismatches('read');

    kube.apply(liveRun(name, 'uid-later-1').pipelineRun(false));
    const intruder = await logsOf(name, 'token-mallory');
    assert.equal(intruder.status, 404);
    const owner = await logsOf(name, 'token-alice');
    assert.equal(owner.status, 200);
    assert.equal(owner.headers.get('x-kite-log-source'), 'live');
    assert.equal(await owner.text(), '', 'the planted text is not the live run');
    assert.equal(await mismatches('read'), before + 1);
    assert.deepEqual(await storedRuns(), [[RUN, 'team-a', REAL_LOG.length]], 'dropped');

    // Gone again from the cluster: the claim does not come back.
    kube.remove('tekton.dev/v1', 'PipelineRun', 'mintmaker', name);
    assert.equal((await logsOf(name, 'token-mallory')).status, 404);
  });

  it('an upload for a stored run whose live PipelineRun has another owner is refused and the stored run dropped', async () => {
    const name = 'renovate-later-2';
    assert.equal((await register('token-mallory', claim(name, 'uid-later-2'))).status, 201);
    const before = await mismatches('upload');
    kube.apply(liveRun(name, 'uid-later-2').pipelineRun(false));
    const uploaded = await uploadStep('token-mallory', name, PLANTED);
    assert.equal(uploaded.status, 409);
    assert.deepEqual(await uploaded.json(), {
      error: `Run ${name} in the cluster belongs to another namespace: register it again`,
    });
    assert.equal(await mismatches('upload'), before + 1);
    assert.deepEqual(await storedRuns(), [[RUN, 'team-a', REAL_LOG.length]]);
    kube.remove('tekton.dev/v1', 'PipelineRun', 'mintmaker', name);
  });

  it('the real owner registering a run replaces a claim the cluster contradicts', async () => {
    const name = 'renovate-later-3';
    assert.equal((await register('token-mallory', claim(name, 'uid-later-3'))).status, 201);
    kube.apply(liveRun(name, 'uid-later-3').pipelineRun(false));
    const before = await mismatches('registration');
    const real = await register('token-operator', {
      ...claim(name, 'uid-later-3'),
      namespace: 'team-a',
      component: 'claimed-by-client',
    });
    assert.equal(real.status, 201, JSON.stringify(real.body));
    assert.equal(real.body.namespace, 'team-a');
    assert.equal(real.body.component, 'frontend', "the cluster's component, not the body's");
    assert.equal(await mismatches('registration'), before + 1);
    kube.remove('tekton.dev/v1', 'PipelineRun', 'mintmaker', name);
  });

  it('a registration whose owner cannot be checked is refused with 503 and stores nothing', async () => {
    // The operator's identity and its report right in team-a are cached by now.
    const rows = await storedRuns();
    kube.down = true;
    try {
      const answer = await register('token-operator', {
        ...claim('renovate-unchecked', 'uid-unchecked'),
        namespace: 'team-a',
      });
      assert.equal(answer.status, 503);
      assert.deepEqual(answer.body, {
        error: 'Cannot check who owns the run: the Kubernetes API did not answer (try again)',
      });
    } finally {
      kube.down = false;
    }
    assert.deepEqual(await storedRuns(), rows);
  });
});

async function within(probe: () => Promise<boolean>, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('MintMaker run ownership without authentication (development mode)', () => {
  it('anyone may register and upload a run when the server runs with KITE_AUTH_MODE=none', async () => {
    const dev = await startTestServer();
    try {
      const created = await client(dev.url).post('/api/v1/mintmaker/runs', {
        ...claim('renovate-dev-1', 'uid-dev-1'),
        namespace: 'team-dev',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.namespace, 'team-dev');
      const uploaded = await fetch(
        `${dev.url}/api/v1/mintmaker/runs/renovate-dev-1/steps/renovate/renovate?position=0`,
        { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'dev log\n' },
      );
      assert.equal(uploaded.status, 200);
      assert.deepEqual(await uploaded.json(), { bytes: 8, truncated: false });
    } finally {
      await dev.stop();
    }
  });
});
