/**
 * The task-updates controller end to end: the operator's real informers list and watch
 * PipelineRuns in the Kubernetes API test double, read the acceptable bundles from a
 * ConfigMap there (test/fixtures/task-updates/acceptable-bundles.yaml), judge by an
 * injected clock, and post through the reporter to a recording API over HTTP: the server
 * of this branch does not declare the `task-update` / `task-current` webhooks yet.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { resolveOperatorConfig } from '../../src/operator/operator-config.js';
import { startOperator, type RunningOperator } from '../../src/operator/operator.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { startRecordingApi, type RecordingApi } from '../support/recording-api.js';
import { pipelineRun } from '../support/runs.js';

const REPO = 'quay.io/konflux-ci/tekton-catalog';
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const BUILDAH_04 = `${REPO}/task-buildah:0.4@${digest('4')}`;
const BUILDAH_05 = `${REPO}/task-buildah:0.5@${digest('5')}`;
const GIT_CLONE_OLD = `${REPO}/task-git-clone:0.1@${digest('1')}`;
const INIT = `${REPO}/task-init:0.2@${digest('a')}`;
const DATA = readFileSync(
  new URL('../fixtures/task-updates/acceptable-bundles.yaml', import.meta.url),
  'utf8',
);
const MIGRATIONS = 'https://github.com/konflux-ci/build-definitions/blob/main/task';

let kube: KubeApiDouble;
let api: RecordingApi;
let operator: RunningOperator;
let dir: string;
let now = new Date('2026-12-01T00:00:00Z');
const logs: string[] = [];

const bundlesConfigMap = (name: string, text: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: 'kite', name },
  data: { 'data.yaml': text },
});

/** A completed push build of `component` whose recorded pipeline uses `bundles`. */
function build(
  namespace: string,
  name: string,
  component: string,
  completedAt: number,
  bundles: Record<string, string>,
  eventType: 'push' | 'pull_request' = 'push',
) {
  const run = pipelineRun({
    namespace,
    name,
    type: 'build',
    component,
    application: 'shop',
    eventType,
    pipeline: `${component}-on-${eventType === 'push' ? 'push' : 'pull-request'}`,
    completedAt,
    succeeded: true,
  });
  const tasks = Object.entries(bundles).map(([task, bundle]) => ({
    name: `run-${task}`,
    taskRef: {
      resolver: 'bundles',
      params: [
        { name: 'name', value: task },
        { name: 'bundle', value: bundle },
        { name: 'kind', value: 'task' },
      ],
    },
  }));
  return { ...run, status: { ...(run.status as object), pipelineSpec: { tasks } } };
}

async function start(configMap: string, namespaces: string[]) {
  const file = join(dir, `operator-${configMap}.yaml`);
  await writeFile(
    file,
    [
      'controllers:',
      '  pipelineruns: { enabled: false }',
      '  releases: { enabled: false }',
      '  mintmaker: { enabled: false }',
      `  task-updates: { namespaces: [${namespaces.join(', ')}] }`,
      'taskUpdates:',
      '  migrations: [buildah/0.3, buildah/0.5]',
    ].join('\n'),
  );
  const config = await resolveOperatorConfig(
    {
      apiUrl: api.url,
      tokenFile: join(dir, 'token'),
      kubeconfig: kube.kubeconfig,
      config: file,
      host: '127.0.0.1',
      port: '0',
      leaderElect: false,
    },
    {
      KITE_TASK_BUNDLES_CONFIGMAP: `kite/${configMap}/data.yaml`,
      KITE_TASK_BUNDLES_REFRESH: '100ms',
      KITE_RESYNC: '150ms',
      KITE_BACKOFF_BASE: '20ms',
      KITE_BACKOFF_MAX: '200ms',
    },
    () => Promise.resolve(undefined),
  );
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  const started = await startOperator(config, { log, now: () => now });
  await started.synced;
  return started;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  ms = 10_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** What was posted for a namespace, as `<webhook> <component>/<task>`. */
const sent = (namespace: string) =>
  api.reports
    .filter((r) => r.body.namespace === namespace)
    .map((r) => ({
      ...r,
      what: `${r.webhook} ${String(r.body.component)}/${String(r.body.task)}`,
    }));

/** The latest report for a task once `ready` holds for it. */
const reportWhen = (
  namespace: string,
  what: string,
  ready: (body: Record<string, unknown>) => boolean = () => true,
) =>
  eventually(() => {
    const last = sent(namespace)
      .filter((r) => r.what === what)
      .at(-1);
    return last && ready(last.body) ? last.body : undefined;
  }, `${what} in ${namespace}`);

const loadsFailed = async (op: RunningOperator) =>
  Number(
    /kite_operator_task_bundles_loads_total\{result="failed"\} (\d+)/.exec(await op.metrics())?.[1],
  );

before(async () => {
  kube = await startKubeApiDouble();
  api = await startRecordingApi();
  dir = await mkdtemp(join(tmpdir(), 'kite-task-updates-'));
  await writeFile(join(dir, 'token'), 'token-operator\n');
  kube.apply(bundlesConfigMap('kite-task-bundles', DATA));
  operator = await start('kite-task-bundles', [
    'tu-each',
    'tu-window',
    'tu-resolve',
    'tu-dropped',
    'tu-kept',
  ]);
});

after(async () => {
  await operator?.close();
  await api?.close();
  await kube?.close();
});

describe('task updates', () => {
  it('each outdated task of a component is reported once, with its due date and severity; a current one resolves', async () => {
    kube.apply(
      build('tu-each', 'frontend-on-push-1', 'frontend', 1, {
        init: INIT,
        'git-clone': GIT_CLONE_OLD,
        buildah: BUILDAH_04,
      }),
    );
    const buildah = await reportWhen('tu-each', 'task-update frontend/buildah');
    assert.equal(buildah.dueAt, '2027-01-15T00:00:00.000Z');
    assert.equal(buildah.severity, 'minor');
    assert.equal(buildah.bundle, BUILDAH_04);
    assert.equal(buildah.version, '0.4');
    assert.equal(buildah.application, 'shop');
    const gitClone = await reportWhen('tu-each', 'task-update frontend/git-clone');
    assert.equal(gitClone.dueAt, '2027-02-20T00:00:00.000Z');
    assert.equal(gitClone.severity, 'minor');
    await reportWhen('tu-each', 'task-current frontend/init');
    // Several resyncs later, nothing was sent twice.
    await sleep(600);
    assert.deepEqual(
      sent('tu-each')
        .map((r) => r.what)
        .sort(),
      [
        'task-current frontend/init',
        'task-update frontend/buildah',
        'task-update frontend/git-clone',
      ],
    );
  });

  it('a version bump that needs a migration links its MIGRATION.md; a newer digest of the same version needs none', async () => {
    const buildah = await reportWhen('tu-each', 'task-update frontend/buildah');
    assert.equal(buildah.newVersion, '0.5');
    assert.equal(buildah.migrationRequired, 'true');
    assert.equal(buildah.migrationUrl, `${MIGRATIONS}/buildah/0.5/MIGRATION.md`);
    const gitClone = await reportWhen('tu-each', 'task-update frontend/git-clone');
    assert.equal(gitClone.newVersion, undefined);
    assert.equal(gitClone.migrationRequired, undefined);
    assert.equal(gitClone.migrationUrl, undefined);
  });

  it("the component's next push build on the current digest resolves; pull request builds neither resolve nor hold it open", async () => {
    kube.apply(build('tu-resolve', 'web-on-push-1', 'web', 1, { buildah: BUILDAH_04 }));
    await reportWhen('tu-resolve', 'task-update web/buildah');
    kube.apply(
      build('tu-resolve', 'web-on-pr-2', 'web', 2, { buildah: BUILDAH_05 }, 'pull_request'),
    );
    await sleep(500);
    assert.ok(!sent('tu-resolve').some((r) => r.webhook === 'task-current'));
    // A pull request branch that still has the old digest is not what the component ships.
    kube.apply(
      build('tu-resolve', 'web-on-pr-3', 'web', 3, { buildah: BUILDAH_04 }, 'pull_request'),
    );
    const next = build('tu-resolve', 'web-on-push-4', 'web', 4, { buildah: BUILDAH_05 });
    kube.apply(next);
    const resolved = await reportWhen('tu-resolve', 'task-current web/buildah');
    assert.deepEqual(resolved, {
      namespace: 'tu-resolve',
      component: 'web',
      task: 'buildah',
      runId: next.metadata.uid,
    });
  });

  it('a task reported outdated that the next build no longer uses resolves', async () => {
    kube.apply(build('tu-dropped', 'db-on-push-1', 'db', 1, { init: INIT, buildah: BUILDAH_04 }));
    await reportWhen('tu-dropped', 'task-update db/buildah');
    const next = build('tu-dropped', 'db-on-push-2', 'db', 2, { init: INIT });
    kube.apply(next);
    const resolved = await reportWhen('tu-dropped', 'task-current db/buildah');
    assert.equal(resolved.runId, next.metadata.uid);
  });

  it('unreadable data is logged and counted, and the last good data still judges', async () => {
    const before = await loadsFailed(operator);
    const reported = api.reports.length;
    kube.apply(bundlesConfigMap('kite-task-bundles', 'task-bundles: ['));
    await eventually(
      () => (logs.some((l) => l.includes('task bundles data unreadable')) ? true : undefined),
      'the log line',
    );
    await sleep(400);
    assert.ok((await loadsFailed(operator)) > before, 'the failed loads are counted');
    assert.equal(api.reports.length, reported, 'nothing re-sent, nothing resolved');
    kube.apply(build('tu-kept', 'cart-on-push-1', 'cart', 1, { buildah: BUILDAH_04 }));
    const kept = await reportWhen('tu-kept', 'task-update cart/buildah');
    assert.equal(kept.dueAt, '2027-01-15T00:00:00.000Z');
    kube.apply(bundlesConfigMap('kite-task-bundles', DATA));
  });

  it('as the clock crosses the window the severity turns major, then critical once expired', async () => {
    kube.apply(build('tu-window', 'api-on-push-1', 'api', 1, { buildah: BUILDAH_04 }));
    await reportWhen('tu-window', 'task-update api/buildah', (b) => b.severity === 'minor');
    // The clock only moves forward: later tests judge by it too.
    now = new Date('2027-01-05T00:00:00Z'); // 10 days before the expiry
    await reportWhen('tu-window', 'task-update api/buildah', (b) => b.severity === 'major');
    now = new Date('2027-01-15T00:00:01Z');
    await reportWhen('tu-window', 'task-update api/buildah', (b) => b.severity === 'critical');
    const severities = sent('tu-window').map((r) => r.body.severity);
    assert.deepEqual(severities.slice(0, 3), ['minor', 'major', 'critical']);
  });

  it('without any readable data nothing is reported nor resolved', async () => {
    kube.apply(bundlesConfigMap('kite-task-bundles-broken', 'not: [the shape'));
    const second = await start('kite-task-bundles-broken', ['tu-nodata']);
    try {
      kube.apply(build('tu-nodata', 'x-on-push-1', 'x', 1, { buildah: BUILDAH_04, init: INIT }));
      await eventually(
        async () => ((await loadsFailed(second)) >= 2 ? true : undefined),
        'two failed loads',
      );
      await sleep(400);
      assert.deepEqual(sent('tu-nodata'), []);
      // The same run is judged as soon as the data can be read.
      kube.apply(bundlesConfigMap('kite-task-bundles-broken', DATA));
      await reportWhen('tu-nodata', 'task-update x/buildah');
      await reportWhen('tu-nodata', 'task-current x/init');
    } finally {
      await second.close();
    }
  });
});
