/**
 * The operator's pure parts: what each controller makes of a run, the per-scope order
 * rule, severity rules and the config file.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, ObserveContext, Observation } from '../../src/operator/controller.js';
import { mintmakerController } from '../../src/operator/controllers/mintmaker.js';
import { pipelineRunController } from '../../src/operator/controllers/pipelinerun.js';
import { releaseController } from '../../src/operator/controllers/release.js';
import {
  DEFAULT_SEVERITY_RULES,
  parseOperatorFile,
  resolveOperatorConfig,
  severityOf,
} from '../../src/operator/operator-config.js';
import { backoff } from '../../src/operator/reporter.js';
import { ScopeIndex } from '../../src/operator/scope-index.js';
import { failedTaskRun, mintmakerRun, pipelineRun, release } from '../support/runs.js';

const settings = { logsUrlTemplate: undefined, mintmakerNamespace: 'mintmaker' };
const context = (taskRuns: KubeObject[] = []): ObserveContext => ({
  details: (_kind, namespace) => taskRuns.filter((t) => t.metadata.namespace === namespace),
  settings,
});
const asKube = (o: unknown) => o as KubeObject;

describe('the PipelineRun controller', () => {
  it('scopes a run to its component, else its application, else its pipeline — never the run name', () => {
    const scopeOf = (labels: { component?: string; application?: string }) => {
      const run = pipelineRun({
        namespace: 'ns',
        name: 'run-x1y2',
        completedAt: 1,
        pipeline: 'nightly',
        ...labels,
      });
      const o = pipelineRunController.observe(asKube(run), context());
      return [o?.scopeType, o?.scopeName];
    };
    assert.deepEqual(scopeOf({ component: 'c', application: 'a' }), ['component', 'c']);
    assert.deepEqual(scopeOf({ application: 'a' }), ['application', 'a']);
    assert.deepEqual(scopeOf({}), ['pipeline', 'nightly']);
  });

  it('takes the issue type from the Konflux pipeline type label', () => {
    const typeOf = (type?: 'build' | 'test' | 'managed') =>
      pipelineRunController.observe(
        asKube(
          pipelineRun({
            namespace: 'ns',
            name: 'r',
            completedAt: 1,
            component: 'c',
            ...(type ? { type } : {}),
          }),
        ),
        context(),
      )?.issueType;
    assert.equal(typeOf('build'), 'build');
    assert.equal(typeOf('test'), 'test');
    assert.equal(typeOf('managed'), 'release');
    assert.equal(typeOf(), 'pipeline');
  });

  it('ignores runs that have not completed', () => {
    const running = pipelineRun({ namespace: 'ns', name: 'r', component: 'c' });
    assert.equal(pipelineRunController.observe(asKube(running), context()), undefined);
  });

  it('names every failed task with its message; without a message or tasks says unknown', () => {
    const run = pipelineRun({
      namespace: 'ns',
      name: 'r1',
      completedAt: 1,
      component: 'c',
      type: 'build',
      children: ['r1-a'],
    });
    const tasks = [
      failedTaskRun(run, 'sast-scan', 'found 3 issues'),
      failedTaskRun(run, 'build-container', 'exit 1'),
    ];
    const o = pipelineRunController.observe(asKube(run), context(tasks.map(asKube)));
    assert.match(o?.title ?? '', /task build-container, sast-scan$/);
    assert.match(
      o?.reason ?? '',
      /Task build-container failed \(TaskRun r1-build-container\): Failed: exit 1/,
    );
    assert.match(o?.reason ?? '', /Task sast-scan failed .*found 3 issues/);
    const bare = pipelineRun({
      namespace: 'ns',
      name: 'r2',
      completedAt: 1,
      component: 'c',
      reason: '',
      message: '',
      children: ['r2-a'],
    });
    assert.match(pipelineRunController.observe(asKube(bare), context())?.reason ?? '', /^unknown/);
  });

  it('marks a failure incomplete while a TaskRun it refers to is not cached yet', () => {
    const run = pipelineRun({
      namespace: 'ns',
      name: 'r3',
      completedAt: 1,
      component: 'c',
      children: ['r3-build'],
    });
    assert.equal(pipelineRunController.observe(asKube(run), context())?.incomplete, true);
    const cached = [asKube(failedTaskRun(run, 'build', 'exit 1'))];
    assert.equal(
      pipelineRunController.observe(asKube(run), context(cached))?.incomplete,
      undefined,
    );
  });

  it('reports a run that never started with its reason', () => {
    const run = pipelineRun({
      namespace: 'ns',
      name: 'r',
      completedAt: 1,
      component: 'c',
      started: false,
      reason: 'PipelineValidationFailed',
      message: 'invalid param "x"',
    });
    const o = pipelineRunController.observe(asKube(run), context());
    assert.equal(o?.outcome, 'failure');
    assert.equal(
      o?.reason,
      'The pipeline never started: PipelineValidationFailed: invalid param "x"',
    );
  });

  it('leaves MintMaker runs to the mintmaker controller', () => {
    const run = mintmakerRun({
      name: 'm',
      componentNamespace: 'team-a',
      component: 'x',
      completedAt: 1,
      succeeded: false,
    });
    assert.equal(pipelineRunController.observe(asKube(run), context()), undefined);
  });

  it('normalises the event type and uses the run uid as the run id and the completion time', () => {
    const run = pipelineRun({
      namespace: 'ns',
      name: 'r',
      completedAt: 3,
      component: 'c',
      eventType: 'pull_request',
    });
    const o = pipelineRunController.observe(asKube(run), context());
    assert.equal(o?.labels['pipelinesascode.tekton.dev/event-type'], 'pull_request');
    assert.equal(o?.runId, run.metadata.uid);
    assert.equal(o?.completedAt, '2026-11-20T08:03:00.000Z');
  });
});

describe('the mintmaker controller', () => {
  it('puts the issue in the component namespace for runs in the MintMaker namespace', () => {
    const run = mintmakerRun({
      name: 'm',
      componentNamespace: 'team-a',
      component: 'x',
      completedAt: 1,
      succeeded: false,
    });
    const o = mintmakerController.observe(asKube(run), context());
    assert.equal(o?.namespace, 'team-a');
    assert.equal(o?.issueType, 'dependency');
  });

  it('trusts the namespace label only in the MintMaker namespace', () => {
    const run = mintmakerRun({
      name: 'm',
      runNamespace: 'attacker',
      componentNamespace: 'victim',
      component: 'x',
      completedAt: 1,
      succeeded: false,
    });
    assert.equal(mintmakerController.observe(asKube(run), context())?.namespace, 'attacker');
  });

  it('ignores a run in the MintMaker namespace without a component namespace label', () => {
    const run = mintmakerRun({
      name: 'm',
      componentNamespace: '',
      component: 'x',
      completedAt: 1,
      succeeded: false,
    });
    assert.equal(mintmakerController.observe(asKube(run), context()), undefined);
  });
});

describe('the release controller', () => {
  it('names the failed phase and ignores releases still progressing', () => {
    const failed = release({
      namespace: 'ns',
      name: 'r1',
      application: 'app',
      completedAt: 1,
      succeeded: false,
      failedPhase: 'TenantPipelineProcessed',
    });
    const o = releaseController.observe(asKube(failed), context());
    assert.match(o?.reason ?? '', /failed during tenant pipeline/);
    const progressing = asKube(
      release({
        namespace: 'ns',
        name: 'r2',
        application: 'app',
        completedAt: 1,
        succeeded: false,
      }),
    );
    const conditions = (progressing.status as { conditions: { type: string; reason?: string }[] })
      .conditions;
    const released = conditions.find((c) => c.type === 'Released');
    if (released) released.reason = 'Progressing';
    assert.equal(releaseController.observe(progressing, context()), undefined);
  });
});

const observation = (
  outcome: 'failure' | 'success',
  minute: number,
  variant?: string,
): Observation => ({
  outcome,
  namespace: 'ns',
  issueType: 'test',
  scopeType: 'component',
  scopeName: 'c',
  ...(variant ? { variant } : {}),
  runId: `${outcome}-${minute}-${variant ?? ''}`,
  completedAt: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
  title: '',
  reason: '',
  labels: {},
});

describe('per-scope order (ScopeIndex)', () => {
  it('a failure older than a known success of the same scope is not reported', () => {
    const index = new ScopeIndex();
    index.set('s', observation('success', 5));
    assert.equal(index.shouldReport(observation('failure', 3)), false);
    assert.equal(index.shouldReport(observation('failure', 7)), true);
  });

  it('a success older than a known failure is not reported', () => {
    const index = new ScopeIndex();
    index.set('f', observation('failure', 5));
    assert.equal(index.shouldReport(observation('success', 3)), false);
    assert.equal(index.shouldReport(observation('success', 7)), true);
  });

  it('a success of one test scenario does not resolve while another scenario still fails', () => {
    const index = new ScopeIndex();
    index.set('a', observation('failure', 1, 'scenario-a'));
    assert.equal(index.shouldReport(observation('success', 2, 'scenario-b')), false);
    index.set('a2', observation('success', 3, 'scenario-a'));
    assert.equal(index.shouldReport(observation('success', 2, 'scenario-b')), true);
  });

  it('forgets deleted runs', () => {
    const index = new ScopeIndex();
    index.set('s', observation('success', 5));
    index.delete('s');
    assert.equal(index.shouldReport(observation('failure', 3)), true);
    assert.equal(index.scopes, 0);
  });
});

describe('operator configuration', () => {
  it('severity: first matching rule wins, major otherwise', () => {
    const failure = { ...observation('failure', 1), issueType: 'build' as const };
    assert.equal(severityOf(DEFAULT_SEVERITY_RULES, failure), 'major');
    assert.equal(
      severityOf(DEFAULT_SEVERITY_RULES, { ...failure, eventType: 'pull_request' }),
      'minor',
    );
    assert.equal(
      severityOf(DEFAULT_SEVERITY_RULES, { ...failure, issueType: 'release' }),
      'critical',
    );
    assert.equal(
      severityOf([{ namespace: 'prod', severity: 'critical' }], { ...failure, namespace: 'prod' }),
      'critical',
    );
  });

  it('refuses a config file with unknown keys or bad values, naming the problem', () => {
    assert.throws(
      () => parseOperatorFile('op.yaml', 'controlers: {}'),
      /op.yaml: invalid operator config/,
    );
    assert.throws(
      () => parseOperatorFile('op.yaml', 'severity: [{ severity: huge }]'),
      /invalid operator config/,
    );
    assert.throws(() => parseOperatorFile('op.yaml', ': : :'), /not valid YAML/);
    assert.deepEqual(parseOperatorFile('op.yaml', ''), {});
    assert.deepEqual(
      parseOperatorFile('op.yaml', 'controllers: { pipelineruns: { releaseTeamIssues: true } }'),
      { controllers: { pipelineruns: { releaseTeamIssues: true } } },
    );
    assert.throws(
      () =>
        parseOperatorFile(
          'op.yaml',
          'controllers: { pipelineruns: { releaseTeamIssues: yes-please } }',
        ),
      /invalid operator config/,
    );
  });

  it('requires an http(s) API URL; flags win over the environment', async () => {
    await assert.rejects(
      resolveOperatorConfig({}, {}, () => Promise.resolve(undefined)),
      /--api-url/,
    );
    await assert.rejects(resolveOperatorConfig({ apiUrl: 'ftp://x' }, {}), /http\(s\)/);
    const config = await resolveOperatorConfig(
      { apiUrl: 'http://kite:8080/', clusterName: 'flag' },
      { KITE_CLUSTER_NAME: 'env', POD_NAMESPACE: 'kite' },
    );
    assert.equal(config.apiUrl, 'http://kite:8080');
    assert.equal(config.clusterName, 'flag');
    assert.equal(config.leaseNamespace, 'kite');
    assert.equal(config.leaderElection, true);
  });
});

describe('delivery backoff', () => {
  it('grows exponentially with jitter and is capped', () => {
    for (let i = 0; i < 50; i += 1) {
      const first = backoff(1, 100, 10_000);
      assert.ok(first >= 50 && first <= 100, `first retry ${first}`);
      const fifth = backoff(5, 100, 10_000);
      assert.ok(fifth >= 800 && fifth <= 1600, `fifth retry ${fifth}`);
      const capped = backoff(40, 100, 10_000);
      assert.ok(capped >= 5000 && capped <= 10_000, `capped ${capped}`);
    }
  });
});
