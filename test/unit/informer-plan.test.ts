/**
 * The informer-sharing plan (src/operator/informer-plan.ts), without any Kubernetes API:
 * one informer per kind, selector and namespace; a cluster-wide need absorbs the
 * namespaced ones; a controller's default namespaces apply when its config names none;
 * details are read from the informer that covers the namespace, or from none.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PIPELINE_RUNS,
  RELEASE_PLANS,
  TASK_RUNS,
  type ControllerSettings,
} from '../../src/operator/controller.js';
import { mintmakerController } from '../../src/operator/controllers/mintmaker.js';
import { pipelineRunController } from '../../src/operator/controllers/pipelinerun.js';
import { releaseController } from '../../src/operator/controllers/release.js';
import { planInformers, type InformerPlan } from '../../src/operator/informer-plan.js';

const settings: ControllerSettings = {
  logsUrlTemplate: undefined,
  mintmakerNamespace: 'mintmaker',
};
const keys = (plan: InformerPlan) => plan.informers.map((spec) => spec.key).sort();
const mainOf = (plan: InformerPlan, name: string) =>
  plan.controllers.find((c) => c.controller.name === name)?.main.map((spec) => spec.key);

describe('the informer plan', () => {
  it('a kind one controller watches cluster-wide is one cluster-wide informer for every controller of it', () => {
    const plan = planInformers([pipelineRunController, mintmakerController], {}, settings);
    assert.deepEqual(keys(plan), ['tekton.dev/pipelineruns|*|', 'tekton.dev/taskruns|*|']);
    assert.deepEqual(mainOf(plan, 'pipelineruns'), ['tekton.dev/pipelineruns|*|']);
    assert.deepEqual(mainOf(plan, 'mintmaker'), ['tekton.dev/pipelineruns|*|']);
    // The MintMaker controller still judges only its namespace's runs.
    const mintmaker = plan.controllers.find((c) => c.controller.name === 'mintmaker');
    assert.deepEqual(mintmaker?.namespaces, ['mintmaker']);
  });

  it('controllers confined to namespaces get one informer per namespace, shared where they meet', () => {
    const plan = planInformers(
      [pipelineRunController, mintmakerController],
      { pipelineruns: { namespaces: ['team-a', 'team-b'] }, mintmaker: { namespaces: ['team-b'] } },
      settings,
    );
    assert.deepEqual(keys(plan), [
      'tekton.dev/pipelineruns|team-a|',
      'tekton.dev/pipelineruns|team-b|',
      'tekton.dev/taskruns|team-a|',
      'tekton.dev/taskruns|team-b|',
    ]);
    const [pipelineruns, mintmaker] = plan.controllers;
    assert.equal(pipelineruns?.main[1], mintmaker?.main[0], 'team-b: one informer, both use it');
    assert.deepEqual(
      pipelineruns?.details.map((spec) => spec.namespace),
      ['team-a', 'team-b'],
    );
  });

  it('a config with no namespaces means the controller default (MintMaker: its namespace)', () => {
    const plan = planInformers([mintmakerController], { mintmaker: { namespaces: [] } }, settings);
    assert.deepEqual(keys(plan), [
      'tekton.dev/pipelineruns|mintmaker|',
      'tekton.dev/taskruns|mintmaker|',
    ]);
  });

  it('a label selector makes an informer of its own; details are never filtered by it', () => {
    const plan = planInformers(
      [pipelineRunController, mintmakerController],
      { pipelineruns: { labelSelector: 'app=web' } },
      settings,
    );
    assert.deepEqual(keys(plan), [
      'tekton.dev/pipelineruns|*|app=web',
      'tekton.dev/pipelineruns|mintmaker|',
      'tekton.dev/taskruns|*|',
    ]);
    const spec = plan.informers.find((s) => s.selector === 'app=web');
    assert.deepEqual(spec, {
      key: 'tekton.dev/pipelineruns|*|app=web',
      kind: PIPELINE_RUNS,
      namespace: undefined,
      selector: 'app=web',
    });
  });

  it('details are read from the informer covering the namespace, and from none outside the plan', () => {
    const namespaced = planInformers(
      [pipelineRunController, releaseController],
      { pipelineruns: { namespaces: ['team-a'] }, releases: { namespaces: ['team-a'] } },
      settings,
    );
    assert.equal(namespaced.detailsOf(TASK_RUNS, 'team-a')?.key, 'tekton.dev/taskruns|team-a|');
    assert.equal(namespaced.detailsOf(TASK_RUNS, 'team-z'), undefined);
    assert.equal(
      namespaced.detailsOf(RELEASE_PLANS, 'team-a')?.key,
      'appstudio.redhat.com/releaseplans|team-a|',
    );
    const clusterWide = planInformers([pipelineRunController], {}, settings);
    assert.equal(clusterWide.detailsOf(TASK_RUNS, 'team-z')?.key, 'tekton.dev/taskruns|*|');
    assert.equal(clusterWide.detailsOf(RELEASE_PLANS, 'team-a'), undefined);
  });
});
