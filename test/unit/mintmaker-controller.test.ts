/**
 * The operator's MintMaker controller on PipelineRuns shaped as MintMaker creates them
 * (test/support/mintmaker-runs.ts): one scope per component and repository branch,
 * titles naming the repository and branch as on the git host, the application kept.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, ObserveContext } from '../../src/operator/controller.js';
import { mintmakerController } from '../../src/operator/controllers/mintmaker.js';
import { ScopeIndex } from '../../src/operator/scope-index.js';
import { mintmakerPipelineRun, repoBranchHashOf } from '../support/mintmaker-runs.js';

const context: ObserveContext = {
  details: () => [],
  settings: { logsUrlTemplate: undefined, mintmakerNamespace: 'mintmaker' },
};
const observe = (run: unknown) => mintmakerController.observe(run as KubeObject, context);
const branchRun = (branch: string, completedAt: number, succeeded: boolean) =>
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

describe('the mintmaker controller on MintMaker-shaped runs', () => {
  it('scopes a run by component and repo-branch hash: release_2.0 and main are different scopes', () => {
    const main = observe(branchRun('main', 1, false));
    const release = observe(branchRun('release/2.0', 2, true));
    assert.equal(main?.scopeType, 'component');
    assert.equal(
      main?.scopeName,
      `my-repo@${repoBranchHashOf('github.com', 'konflux-ci/my_repo', 'main')}`,
    );
    assert.notEqual(release?.scopeName, main?.scopeName);
  });

  it("a success on release/2.0 does not supersede main's failure in the operator's order check", () => {
    const index = new ScopeIndex();
    const failure = observe(branchRun('main', 1, false));
    const success = observe(branchRun('release/2.0', 2, true));
    assert.ok(failure && success);
    index.set('release', success);
    index.set('main', failure);
    assert.equal(index.shouldReport(failure), true);
  });

  it('titles the repository and branch as on the git host and keeps the application label', () => {
    const o = observe(branchRun('release/1.x', 1, false));
    assert.equal(
      o?.title,
      'Dependency update (MintMaker) failed for component my-repo (konflux-ci/my_repo@release/1.x)',
    );
    assert.equal(o?.labels['mintmaker.appstudio.redhat.com/application'], 'my-app');
    assert.equal(o?.labels['appstudio.openshift.io/application'], 'my-app');
    assert.equal(o?.labels['appstudio.openshift.io/component'], 'my-repo');
    assert.equal(o?.labels['mintmaker.appstudio.redhat.com/branch'], 'release_1.x');
  });

  it('a label that cannot be turned back unambiguously is shown as MintMaker wrote it', () => {
    const run = branchRun('main', 1, false);
    delete run.metadata.labels?.['mintmaker.appstudio.redhat.com/repo-branch-hash'];
    const o = observe(run);
    assert.equal(
      o?.title,
      'Dependency update (MintMaker) failed for component my-repo (konflux-ci_my_repo@main)',
    );
    assert.equal(o?.scopeName, 'my-repo', 'an older MintMaker without the hash: per component');
  });
});
