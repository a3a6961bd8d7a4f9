/**
 * The operator on real-shaped Konflux objects (issue 23): scopes that match how Konflux
 * runs things, releases as the release service writes them, cancellations that are not
 * failures, and integration test issues that name every failing scenario. Fixtures:
 * test/fixtures/konflux/.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, Observation } from '../../src/operator/controller.js';
import { pipelineRunController } from '../../src/operator/controllers/pipelinerun.js';
import { releaseController } from '../../src/operator/controllers/release.js';
import { DEFAULT_SEVERITY_RULES } from '../../src/operator/operator-config.js';
import { requestOf, type RunRequest } from '../../src/operator/requests.js';
import { ScopeIndex } from '../../src/operator/scope-index.js';
import { fixtureContext, loadFixture } from '../support/fixtures.js';

const RELEASES_LINK =
  'https://konflux.example.com/ns/{namespace}/applications/{application}/releases';

/** A copy of a fixture object, finished as a success (or with other changes). */
function succeeded(run: KubeObject, uid: string, at: string): KubeObject {
  const copy = structuredClone(run);
  copy.metadata.uid = uid;
  copy.metadata.name = `${run.metadata.name}-ok`;
  const status = copy.status as Record<string, unknown>;
  status.completionTime = at;
  status.conditions = [
    { type: 'Succeeded', status: 'True', reason: 'Succeeded', lastTransitionTime: at },
  ];
  return copy;
}

function observeAll(objects: KubeObject[], index = new ScopeIndex()) {
  const context = fixtureContext(objects);
  const requests: (RunRequest | undefined)[] = [];
  const observations: (Observation | undefined)[] = [];
  for (const object of objects.filter((o) => o.kind === 'PipelineRun' || o.kind === 'Release')) {
    const controller = object.kind === 'Release' ? releaseController : pipelineRunController;
    const observation = controller.observe(object, context);
    index.set(`${object.metadata.namespace}/${object.metadata.name}`, observation);
    observations.push(observation);
    requests.push(
      observation ? requestOf(observation, index, { severity: DEFAULT_SEVERITY_RULES }) : undefined,
    );
  }
  return { observations, requests, index };
}

describe('finding 1: scopes that match how Konflux runs things', () => {
  it('a pull_request build is scoped to its component and pull request, never the push scope', () => {
    const [push] = observeAll(loadFixture('push-build-failed')).observations;
    const [pr] = observeAll(loadFixture('pull-request-build-failed')).observations;
    assert.deepEqual([push?.scopeType, push?.scopeName], ['component', 'devfile-sample-python']);
    assert.deepEqual([pr?.scopeType, pr?.scopeName], ['pull-request', 'devfile-sample-python#42']);
    assert.equal(pr?.labels['pipelinesascode.tekton.dev/pull-request'], '42');
  });

  it('a pull_request success does not resolve the push build failure, in the operator or its index', () => {
    const push = loadFixture('push-build-failed');
    const prSuccess = succeeded(
      loadFixture('pull-request-build-failed')[0] as KubeObject,
      'pr-ok',
      '2026-11-20T09:30:00Z',
    );
    const { requests } = observeAll([...push, prSuccess]);
    assert.equal(requests[0]?.webhook, 'run-failure');
    assert.equal(requests[0]?.body.scopeType, 'component');
    // The PR's success resolves the PR's scope only.
    assert.equal(requests[1]?.webhook, 'run-success');
    assert.equal(requests[1]?.body.scopeType, 'pull-request');
    assert.equal(requests[1]?.body.scopeName, 'devfile-sample-python#42');
  });

  it('pull request failures are minor by default', () => {
    const { requests } = observeAll(loadFixture('pull-request-build-failed'));
    assert.equal(requests[0]?.body.severity, 'minor');
  });

  it("a release pipeline run in the managed namespace is not reported there: it is its Release's", () => {
    const [run] = loadFixture('release-managed-pipelinerun');
    const succeededRun = succeeded(run as KubeObject, 'managed-ok', '2026-11-20T16:00:00Z');
    assert.equal(pipelineRunController.observe(run as KubeObject, fixtureContext([])), undefined);
    assert.equal(pipelineRunController.observe(succeededRun, fixtureContext([])), undefined);
  });

  it('with releaseTeamIssues, the managed run is also reported in the managed namespace, per tenant and pipeline', () => {
    const [run] = loadFixture('release-managed-pipelinerun');
    const context = fixtureContext([], { releaseTeamIssues: true });
    const failed = pipelineRunController.observe(run as KubeObject, context);
    assert.deepEqual(
      [failed?.namespace, failed?.issueType, failed?.scopeType, failed?.scopeName],
      ['rhtap-releng-tenant', 'release', 'pipeline', 'user-tenant/rh-push-to-registry-redhat-io'],
    );
    assert.equal(
      failed?.title,
      'Release pipeline rh-push-to-registry-redhat-io failed for tenant user-tenant (Release devfile-sample-7xq2m-3f5e1d2-k9l8m)',
    );
    const other = structuredClone(run as KubeObject);
    (other.metadata.labels as Record<string, string>)['release.appstudio.openshift.io/namespace'] =
      'other-tenant';
    assert.equal(
      pipelineRunController.observe(other, context)?.scopeName,
      'other-tenant/rh-push-to-registry-redhat-io',
    );
  });

  it('a release is scoped to its ReleasePlan in the tenant namespace', () => {
    const { observations } = observeAll(loadFixture('release-managed-pipeline-failed'));
    assert.deepEqual(
      [observations[0]?.namespace, observations[0]?.scopeType, observations[0]?.scopeName],
      ['user-tenant', 'release-plan', 'devfile-sample-prod'],
    );
  });
});

describe('finding 2: releases as the release service labels them', () => {
  it('names the failing task and step from managedPipelineAttempts, with the application from the ReleasePlan', () => {
    const objects = loadFixture('release-managed-pipeline-failed');
    const observation = releaseController.observe(
      objects[0] as KubeObject,
      fixtureContext(objects, { logsUrlTemplate: RELEASES_LINK }),
    );
    assert.equal(
      observation?.title,
      'Release failed for application devfile-sample (release plan devfile-sample-prod) during managed pipeline: task push-snapshot, step push-snapshot',
    );
    assert.equal(
      observation?.reason,
      [
        'Release devfile-sample-7xq2m-3f5e1d2-k9l8m failed during managed pipeline: Failed: Release processing failed on managed pipelineRun',
        'Failed task: push-snapshot (step push-snapshot): Error',
        'Release pipeline run: rhtap-releng-tenant/managed-p4x7c',
        'Snapshot: devfile-sample-7xq2m',
      ].join('\n'),
    );
    assert.equal(
      observation?.logsUrl,
      'https://konflux.example.com/ns/user-tenant/applications/devfile-sample/releases',
    );
    assert.deepEqual(observation?.labels, {
      'appstudio.openshift.io/application': 'devfile-sample',
      'release.appstudio.openshift.io/releasePlan': 'devfile-sample-prod',
      'release.appstudio.openshift.io/snapshot': 'devfile-sample-7xq2m',
    });
  });

  it('reads the deprecated managedProcessing when there are no attempts', () => {
    const objects = loadFixture('release-managed-pipeline-failed');
    const release = structuredClone(objects[0] as KubeObject);
    delete (release.status as Record<string, unknown>).managedPipelineAttempts;
    const observation = releaseController.observe(release, fixtureContext(objects));
    assert.match(
      observation?.reason ?? '',
      /\nRelease pipeline run: rhtap-releng-tenant\/managed-p4x7c\n/,
    );
    assert.equal(
      observation?.title,
      'Release failed for application devfile-sample (release plan devfile-sample-prod) during managed pipeline',
    );
  });

  it('gives no link rather than one with an empty application', () => {
    const objects = loadFixture('release-plan-label-missing');
    const observation = releaseController.observe(
      objects[0] as KubeObject,
      fixtureContext(objects, { logsUrlTemplate: RELEASES_LINK }),
    );
    assert.equal(observation?.outcome, 'failure');
    assert.equal(observation?.logsUrl, undefined);
    assert.equal(
      observation?.reason,
      'Release manual-release-2 failed during validation: Failed: release validation failed: the snapshot devfile-sample-5rt6y does not belong to the application of the ReleasePlan\nSnapshot: devfile-sample-5rt6y',
    );
  });

  it('a successful release resolves the same ReleasePlan scope in the tenant namespace', () => {
    const objects = loadFixture('release-managed-pipeline-failed');
    const release = structuredClone(objects[0] as KubeObject);
    release.metadata.uid = 'ok';
    delete (release.status as Record<string, unknown>).completionTime;
    (release.status as Record<string, unknown>).conditions = [
      {
        type: 'Released',
        status: 'True',
        reason: 'Succeeded',
        lastTransitionTime: '2026-11-21T00:00:00Z',
      },
    ];
    const { requests } = observeAll([...objects, release]);
    assert.deepEqual(requests[1], {
      webhook: 'run-success',
      body: {
        namespace: 'user-tenant',
        issueType: 'release',
        scopeType: 'release-plan',
        scopeName: 'devfile-sample-prod',
        runId: 'ok',
        occurredAt: '2026-11-21T00:00:00Z',
      },
    });
  });
});

describe('finding 3: cancellations are not failures', () => {
  for (const fixture of ['pull-request-build-cancelled', 'push-build-stopped']) {
    it(`${fixture}: neither opens nor resolves anything`, () => {
      const { observations, requests, index } = observeAll(loadFixture(fixture));
      assert.equal(observations[0]?.outcome, 'cancelled');
      assert.equal(requests[0], undefined);
      assert.equal(index.scopes, 0);
    });
  }

  for (const reason of [
    'Cancelled',
    'PipelineRunCancelled',
    'CancelledRunningFinally',
    'StoppedRunningFinally',
  ]) {
    it(`Tekton's reason ${reason} is a cancellation`, () => {
      const run = structuredClone(loadFixture('push-build-failed')[0] as KubeObject);
      const conditions = (run.status as { conditions: { reason: string }[] }).conditions;
      (conditions[0] as { reason: string }).reason = reason;
      assert.equal(pipelineRunController.observe(run, fixtureContext([]))?.outcome, 'cancelled');
    });
  }

  it('a cancelled run between a failure and a success changes neither', () => {
    const failed = loadFixture('push-build-failed');
    const stopped = loadFixture('push-build-stopped');
    const { requests } = observeAll([...failed, ...stopped]);
    assert.equal(requests[0]?.webhook, 'run-failure');
    assert.equal(requests[1], undefined);
  });

  it('"never started" only when Tekton says so or no task ran', () => {
    const [never] = observeAll(loadFixture('push-build-never-started')).observations;
    assert.match(never?.reason ?? '', /^The pipeline never started: CouldntGetTask: /);
    const [legacy] = observeAll(loadFixture('embedded-status-build-failed')).observations;
    assert.equal(
      legacy?.reason,
      'Tasks Completed: 2 (Failed: 1, Cancelled 0), Skipped: 4\nTask sast-snyk-check failed (TaskRun legacy-service-on-push-q1w2e-sast-snyk-check): Failed: "step-sast-snyk-check" exited with code 1',
    );
  });
});

describe('finding 4: integration tests', () => {
  it("reads the integration service's event-type label: PR integration failures are minor", () => {
    const { observations, requests } = observeAll(
      loadFixture('pull-request-integration-tests-failed'),
    );
    assert.equal(observations[0]?.eventType, 'pull_request');
    assert.equal(observations[0]?.labels['pipelinesascode.tekton.dev/event-type'], 'pull_request');
    assert.equal(requests[0]?.body.severity, 'minor');
  });

  it('the title and description list every failing scenario, and drop each as it recovers', () => {
    const objects = loadFixture('pull-request-integration-tests-failed');
    const { requests, index } = observeAll(objects);
    const prefix = 'Integration tests failed for component devfile-sample-python, pull request #42';
    assert.equal(
      requests[2]?.body.title,
      `${prefix}: e2e-tests (task run-e2e); enterprise-contract (task verify); image-scan (task clair-scan)`,
    );
    const description = String(requests[2]?.body.reason);
    assert.match(description, /^3 scenarios fail:\n\nScenario e2e-tests \(task run-e2e\):\n/);
    assert.match(description, /Violations found: 2/);
    assert.match(description, /manifest unknown/);

    const runs = objects.filter((o) => o.kind === 'PipelineRun');
    // image-scan (the last one reported) recovers: the issue names the other two.
    const imageScanOk = succeeded(runs[2] as KubeObject, 'image-scan-ok', '2026-11-20T13:10:00Z');
    const afterOne = observeAll([imageScanOk], index).requests[0];
    assert.equal(afterOne?.webhook, 'run-failure');
    assert.equal(
      afterOne?.body.title,
      `${prefix}: e2e-tests (task run-e2e); enterprise-contract (task verify)`,
    );
    assert.equal(afterOne?.body.runId, 'image-scan-ok');
    assert.equal(afterOne?.body.occurredAt, '2026-11-20T13:10:00Z');
    // e2e-tests recovers: only enterprise-contract is left, with its own run's text.
    const e2eOk = succeeded(runs[1] as KubeObject, 'e2e-ok', '2026-11-20T13:11:00Z');
    const afterTwo = observeAll([e2eOk], index).requests[0];
    assert.equal(
      afterTwo?.body.title,
      'Integration test enterprise-contract failed for component devfile-sample-python, pull request #42: task verify',
    );
    // enterprise-contract recovers: the issue is resolved.
    const ecOk = succeeded(runs[0] as KubeObject, 'ec-ok', '2026-11-20T13:12:00Z');
    assert.equal(observeAll([ecOk], index).requests[0]?.webhook, 'run-success');
  });
});
