/**
 * The task-updates controller's pure parts on fixtures (test/fixtures/task-updates/):
 * the acceptable bundles data as Konflux publishes it, the bundles a PipelineRun used,
 * and the verdict per task: due date, severity by the clock, migration.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/operator/controller.js';
import {
  BundleDataError,
  judgeBundle,
  parseBundleData,
} from '../../src/operator/task-updates/bundle-data.js';
import { taskBundlesOf } from '../../src/operator/task-updates/bundle-refs.js';
import { BundleSource } from '../../src/operator/task-updates/bundle-source.js';
import { resolveOperatorConfig } from '../../src/operator/operator-config.js';
import { resolveTaskUpdates } from '../../src/operator/task-updates/config.js';
import { judgeComponent, severityAt } from '../../src/operator/task-updates/judge.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/task-updates/${name}`, import.meta.url), 'utf8');
const data = parseBundleData(fixture('acceptable-bundles.yaml'));
const objects = parseAllDocuments(fixture('push-builds.yaml')).map((d) => d.toJS() as KubeObject);
const [frontend, backend] = objects.filter((o) => o.kind === 'PipelineRun') as [
  KubeObject,
  KubeObject,
];
const taskRuns = objects.filter((o) => o.kind === 'TaskRun');
const REPO = 'quay.io/konflux-ci/tekton-catalog';
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const DAY = 86_400_000;
const settings = {
  majorWithinMs: 14 * DAY,
  migrationBaseUrl: 'https://github.com/konflux-ci/build-definitions/blob/main/task/',
  migrations: new Set(['buildah/0.5', 'buildah/0.3']),
};

describe('acceptable bundles data', () => {
  it('reads task-bundles by repository with digest, tag and dates, ignoring other keys', () => {
    assert.deepEqual([...data.keys()].sort(), [
      `${REPO}/task-buildah`,
      `${REPO}/task-git-clone`,
      `${REPO}/task-init`,
    ]);
    assert.deepEqual(data.get(`${REPO}/task-buildah`)?.[1], {
      digest: digest('4'),
      tag: '0.4',
      effectiveOn: '2026-10-01T00:00:00.000Z',
      expiresOn: '2027-01-15T00:00:00.000Z',
    });
  });

  it('an unreadable document is an error, never empty data', () => {
    for (const text of ['task-bundles: [', '{}', 'task-bundles: 3', '']) {
      assert.throws(() => parseBundleData(text), BundleDataError, text);
    }
    assert.throws(
      () => parseBundleData('task-bundles:\n  q.io/x: [{ digest: "sha256:12" }]'),
      /digest must be sha256/,
    );
    assert.throws(
      () =>
        parseBundleData(
          `task-bundles:\n  q.io/x: [{ digest: "${digest('1')}", expires_on: soon }]`,
        ),
      /expires_on is not a date/,
    );
  });

  it('a digest with expires_on is outdated until then; without, current; unknown digests say nothing', () => {
    assert.deepEqual(judgeBundle(data, `${REPO}/task-buildah:0.4@${digest('4')}`), {
      state: 'outdated',
      version: '0.4',
      dueAt: '2027-01-15T00:00:00.000Z',
      newVersion: '0.5',
    });
    assert.deepEqual(judgeBundle(data, `${REPO}/task-git-clone:0.1@${digest('1')}`), {
      state: 'outdated',
      version: '0.1',
      dueAt: '2027-02-20T00:00:00.000Z',
      newVersion: undefined,
    });
    assert.deepEqual(judgeBundle(data, `${REPO}/task-buildah:0.5@${digest('5')}`), {
      state: 'current',
      version: '0.5',
    });
    assert.deepEqual(judgeBundle(data, `${REPO}/task-buildah:0.4@${digest('e')}`), {
      state: 'unknown',
    });
    assert.deepEqual(judgeBundle(data, `${REPO}/task-buildah:0.4`), { state: 'unknown' });
  });
});

describe('a bundles file', () => {
  it('is read again on refresh; unreadable, it is counted and the last good data stays', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kite-bundles-'));
    const file = join(dir, 'bundles.yaml');
    const counted: string[] = [];
    const logged: string[] = [];
    const source = new BundleSource({ file }, new KubeConfig(), {
      log: pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }),
      count: (result) => counted.push(result),
    });
    try {
      assert.equal(await source.refresh(), 'failed', 'missing');
      const none = source.data;
      assert.equal(none, undefined, 'nothing before a good read');
      await writeFile(file, fixture('acceptable-bundles.yaml'));
      assert.equal(await source.refresh(), 'loaded');
      assert.equal(await source.refresh(), 'unchanged');
      await writeFile(file, 'task-bundles: [');
      assert.equal(await source.refresh(), 'failed');
      assert.equal(source.data?.size, 3, 'the last good data');
      assert.deepEqual(counted, ['failed', 'loaded', 'unchanged', 'failed']);
      assert.equal(
        logged.filter((l) => l.includes('task bundles data unreadable')).length,
        2,
        'each failure is logged',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the bundles a PipelineRun used', () => {
  it('from status.pipelineSpec: the bundles resolver and the older taskRef.bundle; not local tasks', () => {
    assert.deepEqual(
      taskBundlesOf(frontend, () => []),
      [
        { task: 'init', bundle: `${REPO}/task-init:0.2@${digest('a')}` },
        { task: 'git-clone', bundle: `${REPO}/task-git-clone:0.1@${digest('1')}` },
        { task: 'buildah', bundle: `${REPO}/task-buildah:0.4@${digest('4')}` },
        { task: 'summary', bundle: `${REPO}/task-summary:0.2@${digest('b')}` },
      ],
    );
  });

  it("without a spec: from the run's TaskRuns' provenance (refSource uri and digest)", () => {
    assert.deepEqual(
      taskBundlesOf(backend, () => taskRuns),
      [
        { task: 'buildah', bundle: `${REPO}/task-buildah:0.4@${digest('4')}` },
        { task: 'git-clone', bundle: `${REPO}/task-git-clone:0.1@${digest('2')}` },
      ],
    );
    assert.deepEqual(
      taskBundlesOf(backend, () => []),
      [],
    );
  });
});

describe('judging a component', () => {
  const judge = (now: string) =>
    judgeComponent([frontend], () => [], data, settings, new Date(now)).reports;

  it('one report per task: outdated ones with due date, severity and migration, current ones resolve', () => {
    const reports = judge('2026-12-01T00:00:00Z');
    assert.deepEqual(
      reports.map((r) => `${r.webhook} ${r.task}`),
      ['task-current init', 'task-update git-clone', 'task-update buildah'],
    );
    const buildah = reports.find((r) => r.task === 'buildah');
    assert.deepEqual(buildah?.body, {
      namespace: 'shop-tenant',
      component: 'frontend',
      application: 'shop',
      runId: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b',
      task: 'buildah',
      bundle: `${REPO}/task-buildah:0.4@${digest('4')}`,
      version: '0.4',
      newVersion: '0.5',
      dueAt: '2027-01-15T00:00:00.000Z',
      migrationRequired: 'true',
      migrationUrl:
        'https://github.com/konflux-ci/build-definitions/blob/main/task/buildah/0.5/MIGRATION.md',
      severity: 'minor',
    });
    const gitClone = reports.find((r) => r.task === 'git-clone')?.body;
    assert.equal(gitClone?.newVersion, undefined, 'a newer digest of the same version');
    assert.equal(gitClone?.migrationRequired, undefined);
  });

  it('a version change without a MIGRATION.md needs no migration', () => {
    const none = { ...settings, migrations: new Set(['buildah/0.4', 'buildah/0.6']) };
    const [, , buildah] = judgeComponent([frontend], () => [], data, none, new Date()).reports;
    assert.equal(buildah?.body.migrationRequired, 'false');
    assert.equal(buildah?.body.migrationUrl, undefined);
  });

  it('severity: minor while far, major within the window, critical once expired', () => {
    const due = '2027-01-15T00:00:00Z';
    assert.equal(severityAt(due, new Date('2026-12-31T23:59:59Z'), 14 * DAY), 'minor');
    assert.equal(severityAt(due, new Date('2027-01-01T00:00:00Z'), 14 * DAY), 'major');
    assert.equal(severityAt(due, new Date('2027-01-14T23:59:59Z'), 14 * DAY), 'major');
    assert.equal(severityAt(due, new Date('2027-01-15T00:00:00Z'), 14 * DAY), 'critical');
    assert.equal(severityAt(due, new Date('2026-12-20T00:00:00Z'), 30 * DAY), 'major');
  });
});

describe('task updates settings', () => {
  const given = { refresh: '15m', majorWithin: '14d' };
  it('runs only with a source; a file or a namespace/name/key ConfigMap, not both', () => {
    assert.equal(
      resolveTaskUpdates(
        { ...given, bundlesFile: undefined, bundlesConfigMap: undefined },
        undefined,
      ),
      undefined,
    );
    const config = resolveTaskUpdates(
      { ...given, bundlesFile: undefined, bundlesConfigMap: 'konflux-info/bundles/data.yaml' },
      { migrations: ['buildah/0.5'] },
    );
    assert.deepEqual(config?.location, {
      configMap: { namespace: 'konflux-info', name: 'bundles', key: 'data.yaml' },
    });
    assert.equal(config?.majorWithinMs, 14 * DAY);
    assert.deepEqual([...(config?.migrations ?? [])], ['buildah/0.5']);
    assert.throws(
      () => resolveTaskUpdates({ ...given, bundlesFile: undefined, bundlesConfigMap: 'a/b' }, {}),
      /namespace\/name\/key/,
    );
    assert.throws(
      () => resolveTaskUpdates({ ...given, bundlesFile: '/x', bundlesConfigMap: 'a/b/c' }, {}),
      /not both/,
    );
  });

  it("a source given by variable replaces the config file's, whichever form; the file's other settings stay", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kite-task-config-'));
    try {
      const file = join(dir, 'operator.yaml');
      await writeFile(
        file,
        'taskUpdates: { bundlesFile: /data/bundles.yaml, majorWithin: 30d, migrations: [buildah/0.5] }\n',
      );
      const resolve = (env: Record<string, string>) =>
        resolveOperatorConfig({ apiUrl: 'http://127.0.0.1:1', config: file }, env, () =>
          Promise.resolve(undefined),
        );
      const fromFile = (await resolve({})).taskUpdates;
      assert.deepEqual(fromFile?.location, { file: '/data/bundles.yaml' });
      assert.equal(fromFile?.majorWithinMs, 30 * DAY);
      const fromEnv = (
        await resolve({ KITE_TASK_BUNDLES_CONFIGMAP: 'kite/kite-task-bundles/data.yaml' })
      ).taskUpdates;
      assert.deepEqual(fromEnv?.location, {
        configMap: { namespace: 'kite', name: 'kite-task-bundles', key: 'data.yaml' },
      });
      assert.equal(fromEnv?.majorWithinMs, 30 * DAY);
      assert.deepEqual([...(fromEnv?.migrations ?? [])], ['buildah/0.5']);
      assert.equal(
        (await resolve({ KITE_TASK_MAJOR_WITHIN: '7d' })).taskUpdates?.majorWithinMs,
        7 * DAY,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
