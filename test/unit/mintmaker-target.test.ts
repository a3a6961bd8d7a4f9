/**
 * A MintMaker run's repository and branch as the git host spells them, from the labels
 * MintMaker writes (values sanitised, plus the repo-branch hash of the real spelling).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  gitTargetOf,
  normalizeLabelValue,
  sameRepoBranch,
} from '../../src/domain/mintmaker-target.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hashOf = (key: string) => sha256(key).slice(0, 12);
const labels = (repository: string, branch: string, hash?: string) => ({
  'mintmaker.appstudio.redhat.com/git-host': 'github.com',
  'mintmaker.appstudio.redhat.com/repository': repository,
  'mintmaker.appstudio.redhat.com/branch': branch,
  ...(hash ? { 'mintmaker.appstudio.redhat.com/repo-branch-hash': hash } : {}),
});

describe("MintMaker's label values turned back into the git host's spelling", () => {
  it('normalises label values as MintMaker does', () => {
    // The cases MintMaker's own tests pin, computed here by the port.
    assert.equal(normalizeLabelValue('owner/repo-name'), 'owner_repo-name');
    assert.equal(normalizeLabelValue('owner_name/repo_name'), 'owner_name_repo_name');
    assert.equal(normalizeLabelValue('owner$name/repo@name'), 'owner_name_repo_name');
    assert.equal(normalizeLabelValue('-_./owner/repo'), 'owner_repo');
    assert.equal(normalizeLabelValue('owner/repo-_./'), 'owner_repo');
    assert.equal(
      normalizeLabelValue('name-with!!!multiple@@@invalid###chars'),
      'name-with_multiple_invalid_chars',
    );
    assert.equal(normalizeLabelValue('release/1.x'), 'release_1.x');
  });

  it('konflux-ci_my_repo on release_1.x is konflux-ci/my_repo on release/1.x when the hash says so', () => {
    const target = gitTargetOf(
      labels(
        'konflux-ci_my_repo',
        'release_1.x',
        hashOf('github.com/konflux-ci/my_repo@release/1.x'),
      ),
      sha256,
    );
    assert.deepEqual(target, {
      host: 'github.com',
      repository: 'konflux-ci/my_repo',
      branch: 'release/1.x',
      exact: true,
    });
  });

  it('a GitLab subgroup path and a branch with an underscore come back as they are', () => {
    const target = gitTargetOf(
      labels('group_sub_my_repo', 'feature_x', hashOf('github.com/group/sub/my_repo@feature_x')),
      sha256,
    );
    assert.equal(target?.repository, 'group/sub/my_repo');
    assert.equal(target?.branch, 'feature_x');
    assert.equal(target?.exact, true);
  });

  it('without a hash, or when no spelling matches it (a label truncated), the label is shown as it is', () => {
    assert.deepEqual(gitTargetOf(labels('konflux-ci_my_repo', 'release_1.x'), sha256), {
      host: 'github.com',
      repository: 'konflux-ci_my_repo',
      branch: 'release_1.x',
      exact: false,
    });
    const long = `acme/${'r'.repeat(70)}`;
    const truncated = normalizeLabelValue(long);
    const target = gitTargetOf(
      labels(truncated, 'main', hashOf(`github.com/${long}@main`)),
      sha256,
    );
    assert.equal(target?.repository, truncated);
    assert.equal(target?.exact, false);
    assert.equal(gitTargetOf({}, sha256), undefined);
  });

  it("ties the analyzer's pipelineId to a run's labels by hash, or by the label values", () => {
    const run = labels('konflux-ci_my_repo', 'main', hashOf('github.com/konflux-ci/my_repo@main'));
    assert.equal(sameRepoBranch('github.com/konflux-ci/my_repo@main', run, sha256), true);
    assert.equal(sameRepoBranch('github.com/konflux-ci_my_repo@main', run, sha256), true);
    assert.equal(sameRepoBranch('github.com/konflux-ci/my_repo@release/2.0', run, sha256), false);
    assert.equal(sameRepoBranch('gitlab.com/konflux-ci/my_repo@main', run, sha256), false);
    assert.equal(sameRepoBranch('not a pipeline id', run, sha256), false);
  });
});
